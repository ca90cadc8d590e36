//! SQLite's memory from the service's own allocator (mimalloc, set in `main`) instead of the C
//! library's `malloc`: under load on the lists, glibc's `malloc` and `free` on SQLite's behalf
//! were about a tenth of the service's time (BENCHMARKS.md, fifth session). Each block carries
//! its size in an 8-byte header, since Rust's allocator is told the size when a block is freed
//! and SQLite asks a block's size (`xSize`); blocks are aligned to 8 bytes, as SQLite requires.

use std::alloc::Layout;
use std::ffi::{c_int, c_void};

/// Bytes before each block: its size.
const HEADER: usize = 8;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// The start of the block (its header) of a pointer handed to SQLite, and the size in it.
///
/// # Safety
/// `p` came from [`x_malloc`] or [`x_realloc`] and was not freed.
unsafe fn block(p: *mut c_void) -> (*mut u8, usize) {
    // SAFETY: the caller passes a pointer HEADER bytes into a block that starts with its size.
    unsafe {
        let base = p.cast::<u8>().sub(HEADER);
        (base, base.cast::<u64>().read() as usize)
    }
}

/// Writes `size` into the header at `base` and returns the pointer SQLite gets.
///
/// # Safety
/// `base` is a live block of at least `size + HEADER` bytes, aligned to 8.
unsafe fn handed_out(base: *mut u8, size: usize) -> *mut c_void {
    // SAFETY: as the caller promises.
    unsafe {
        base.cast::<u64>().write(size as u64);
        base.add(HEADER).cast()
    }
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some(layout) = usize::try_from(n).ok().filter(|n| *n > 0).and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size; a null result is passed on as SQLite expects.
    unsafe {
        let base = std::alloc::alloc(layout);
        if base.is_null() { std::ptr::null_mut() } else { handed_out(base, layout.size() - HEADER) }
    }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what x_malloc/x_realloc gave it, once; the layout is the one it
    // was allocated with (the size was checked when it was).
    unsafe {
        let (base, size) = block(p);
        if let Some(layout) = layout(size) {
            std::alloc::dealloc(base, layout);
        }
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        // SAFETY: the same contract as x_malloc.
        return unsafe { x_malloc(n) };
    }
    let Some(new) = usize::try_from(n).ok().filter(|n| *n > 0).and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `p` is a live block from x_malloc/x_realloc; on failure the old block stays, as
    // SQLite expects of xRealloc.
    unsafe {
        let (base, size) = block(p);
        let Some(old) = layout(size) else { return std::ptr::null_mut() };
        let moved = std::alloc::realloc(base, old, new.size());
        if moved.is_null() { std::ptr::null_mut() } else { handed_out(moved, new.size() - HEADER) }
    }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: SQLite asks the size of live blocks it was given.
    c_int::try_from(unsafe { block(p) }.1).unwrap_or(c_int::MAX)
}

extern "C" fn x_roundup(n: c_int) -> c_int {
    n.checked_add(7).map_or(n, |n| n & !7)
}

extern "C" fn x_init(_: *mut c_void) -> c_int {
    libsqlite3_sys::SQLITE_OK
}

extern "C" fn x_shutdown(_: *mut c_void) {}

/// Hands SQLite the allocator above; true when SQLite took it (only before SQLite is first used).
pub(super) fn install() -> bool {
    let methods = libsqlite3_sys::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to the methods, which SQLite copies before
    // returning; the caller makes sure no other thread is inside SQLite.
    let answer =
        unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MALLOC, &raw const methods) };
    answer == libsqlite3_sys::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_contents_and_alignment() {
        unsafe {
            assert!(x_malloc(0).is_null());
            assert!(x_malloc(-5).is_null());
            let p = x_malloc(13);
            assert!(!p.is_null());
            assert_eq!(p as usize % 8, 0, "SQLite needs 8-byte alignment");
            assert_eq!(x_size(p), 13);
            std::ptr::copy_nonoverlapping(b"thirteen char".as_ptr(), p.cast::<u8>(), 13);
            let q = x_realloc(p, 4000);
            assert_eq!(x_size(q), 4000);
            assert_eq!(std::slice::from_raw_parts(q.cast::<u8>(), 13), b"thirteen char");
            let r = x_realloc(q, 5);
            assert_eq!(x_size(r), 5);
            assert_eq!(std::slice::from_raw_parts(r.cast::<u8>(), 5), b"thirt");
            assert!(x_realloc(r, 0).is_null(), "a zero-size reallocation is refused and keeps the block");
            assert_eq!(x_size(r), 5);
            x_free(r);
            let fresh = x_realloc(std::ptr::null_mut(), 9);
            assert_eq!(x_size(fresh), 9);
            x_free(fresh);
            x_free(std::ptr::null_mut());
            assert_eq!(x_size(std::ptr::null_mut()), 0);
        }
        assert_eq!((x_roundup(1), x_roundup(8), x_roundup(9)), (8, 8, 16));
        assert_eq!(x_roundup(c_int::MAX), c_int::MAX);
    }
}

//! Pieces several benches share.
#![allow(dead_code)]

pub mod gias;

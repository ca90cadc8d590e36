//! What every page shares: the header, the menu, the CSRF token, and rendering.

use crate::domain::role::{Action, Role, allows};
use crate::services::FieldError;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};

/// The signed-in user as the header shows them.
pub struct UserChrome {
    pub name: String,
    pub role_label: &'static str,
    pub partnership_name: String,
}

/// One entry of the service menu.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame around every page.
pub struct Chrome {
    pub user: Option<UserChrome>,
    pub csrf_token: String,
    pub nav: Vec<NavItem>,
}

impl Chrome {
    /// The frame for someone not signed in.
    pub fn anonymous() -> Chrome {
        Chrome { user: None, csrf_token: String::new(), nav: Vec::new() }
    }

    /// The frame for a signed-in user, with the menu their role allows; `current` is the
    /// menu entry's href.
    pub fn for_user(user: &PageUser, current: &str) -> Chrome {
        let role = user.user.role;
        let mut entries: Vec<(&'static str, &'static str)> = vec![("/", "Home")];
        if allows(role, Action::ViewSchools) {
            entries.push((
                "/schools",
                if role == Role::SchoolBusinessManager { "Your schools" } else { "Schools" },
            ));
        }
        if allows(role, Action::ManageBilling) {
            entries.push(("/billing", "Billing"));
        }
        if allows(role, Action::ViewAllInvoices) || allows(role, Action::ViewOwnInvoices) {
            entries.push(("/invoices", "Invoices"));
        }
        if allows(role, Action::OrderServices) {
            entries.push(("/services", "Services"));
        } else if allows(role, Action::ViewTotals) {
            entries.push(("/services/take-up", "Traded services"));
        }
        if allows(role, Action::ManageBilling) {
            entries.push(("/payments", "Payments"));
        } else if allows(role, Action::AnswerRenewal) {
            entries.push(("/renewal", "Renewal"));
        }
        if allows(role, Action::ViewContracts) {
            entries.push(("/contracts", "Contracts"));
        }
        if allows(role, Action::ViewTotals) {
            entries.push(("/reports", "Reports"));
            entries.push(("/funding", "Funding models"));
        }
        if allows(role, Action::ImportSchools) {
            entries.push(("/import", "Import"));
        }
        if allows(role, Action::ManageUsers) {
            entries.push(("/users", "Users"));
        }
        Chrome {
            user: Some(UserChrome {
                name: user.user.name.clone(),
                role_label: role.label(),
                partnership_name: user.partnership.name.clone(),
            }),
            csrf_token: user.csrf_token.clone(),
            nav: entries
                .into_iter()
                .map(|(href, label)| NavItem { href, label, current: href == current })
                .collect(),
        }
    }
}

/// Lets a page's template show its field errors.
macro_rules! field_errors_for {
    ($($page:ty),*) => {
        $(impl FieldErrors for $page {
            fn errors(&self) -> &[FieldError] {
                &self.errors
            }
        })*
    };
}

pub(crate) use field_errors_for as field_errors;

/// "Are you sure?" before something that cannot be undone: a warning and one button that posts
/// `hidden` to `action`, or a way back to `cancel`.
#[derive(askama::Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub action: String,
    pub button: String,
    pub cancel: String,
    pub hidden: Vec<(String, String)>,
}

/// The problems of a submitted form, for templates to mark the fields they belong to.
pub trait FieldErrors {
    fn errors(&self) -> &[FieldError];

    fn has_error(&self, field: &str) -> bool {
        self.errors().iter().any(|e| e.field == field)
    }

    /// Whether any field whose id starts with `prefix` has a problem (for a group of fields).
    fn has_error_in(&self, prefix: &str) -> bool {
        self.errors().iter().any(|e| e.field.starts_with(prefix))
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors().iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

/// One option of a select list.
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    pub fn new(value: impl Into<String>, label: impl Into<String>, chosen: Option<&str>) -> SelectOption {
        let value = value.into();
        let selected = chosen == Some(value.as_str());
        SelectOption { value, label: label.into(), selected }
    }
}

/// Renders a template; one that fails is logged and becomes the 500 page, whatever status the
/// caller meant to answer with (never an error page sent as 200 or 422).
pub fn render<T: Template>(template: &T) -> Result<Html<String>, crate::web::error::PageError> {
    template.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "template failed to render");
        crate::web::error::PageError::Internal
    })
}

/// A file to download: its bytes, type and the name it is saved as.
pub fn download(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// A date as people read it: 16 January 2025.
pub fn long_date(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// One entry of the numbered pagination: a page link, or an ellipsis between far-apart pages.
pub struct PageItem {
    pub number: u64,
    pub href: String,
    pub current: bool,
    pub ellipsis: bool,
}

/// GOV.UK pagination for a paged list (`partials/pagination.html`).
pub use crate::services::MAX_PAGE;

/// A page number from a query: blank is the first page; anything but a whole number from 1 to
/// `MAX_PAGE` is the message saying so.
pub fn page_number(text: &str) -> Result<u64, String> {
    match text.trim() {
        "" => Ok(1),
        t => t
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| format!("\"{t}\" is not a page number: a whole number from 1 to {MAX_PAGE}")),
    }
}

/// A record id from a page's address: anything but a number is a page that is not there.
pub fn page_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

/// A page number for a page: a bad one is a 400 saying so.
pub fn page_param(text: &str) -> Result<u64, PageError> {
    page_number(text).map_err(PageError::BadRequest)
}

pub struct Pagination {
    /// What the navigation is called for screen readers, e.g. "Pages of invoices".
    pub label: &'static str,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub items: Vec<PageItem>,
}

impl Pagination {
    /// The first, last, current and neighbouring pages, with ellipses for the gaps; `href` gives
    /// each page's address (keeping the list's filters).
    pub fn new(label: &'static str, current: u64, pages: u64, href: impl Fn(u64) -> String) -> Pagination {
        let mut items = Vec::new();
        let mut last_shown = 0;
        for number in 1..=pages {
            let near = number == 1 || number == pages || number.abs_diff(current) <= 1;
            if !near {
                continue;
            }
            if number > last_shown + 1 {
                items.push(PageItem { number: 0, href: String::new(), current: false, ellipsis: true });
            }
            items.push(PageItem { number, href: href(number), current: number == current, ellipsis: false });
            last_shown = number;
        }
        Pagination {
            label,
            pages,
            prev_href: (current > 1).then(|| href(current - 1)),
            next_href: (current < pages).then(|| href(current + 1)),
            items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(current: u64, pages: u64) -> Vec<String> {
        Pagination::new("Pages", current, pages, |n| format!("?page={n}"))
            .items
            .iter()
            .map(|i| {
                if i.ellipsis {
                    "…".to_string()
                } else if i.current {
                    format!("[{}]", i.number)
                } else {
                    i.number.to_string()
                }
            })
            .collect()
    }

    #[test]
    fn pagination_shows_ends_neighbours_and_gaps() {
        assert_eq!(shown(1, 1), vec!["[1]"]);
        assert_eq!(shown(2, 3), vec!["1", "[2]", "3"]);
        assert_eq!(shown(5, 10), vec!["1", "…", "4", "[5]", "6", "…", "10"]);
        assert_eq!(shown(1, 10), vec!["[1]", "2", "…", "10"]);
        let p = Pagination::new("Pages", 2, 3, |n| format!("?page={n}"));
        assert_eq!((p.prev_href.as_deref(), p.next_href.as_deref()), (Some("?page=1"), Some("?page=3")));
    }
}

//! Journeys in a real headless Chromium (Debian's chromium and chromium-driver), with axe-core
//! checking every page visited against WCAG 2.2 AA.

use crate::helpers::{Backend, TestApp};

mod contracts;
mod first_year;
mod paying;
mod renewals;
mod services;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    axe: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn axe_source() -> String {
    let path = crate::helpers::repo_path("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("{} is missing: run `npm ci --prefix tests/browser` (tests/run does)", path.display())
    })
}

async fn start_browser() -> Browser {
    for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is missing: install Debian's {package} (tests/run and .ci/run do)"
        );
    }
    let axe = axe_source();
    let port = free_port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().expect("a profile directory");
    let args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1280,1000".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), json!({ "binary": CHROMIUM, "args": args }));
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = String::new();
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return Browser { client, driver, _profile: profile, axe },
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start a browser: {last_error}");
}

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = app.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

impl Browser {
    async fn go(&self, base: &SocketAddr, path: &str) {
        self.client.goto(&format!("http://{base}{path}")).await.expect("navigate");
    }

    async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.expect("body").text().await.expect("text")
    }

    async fn path(&self) -> String {
        self.client.current_url().await.expect("url").path().to_string()
    }

    async fn fill(&self, id: &str, value: &str) {
        let input = self.client.find(Locator::Id(id)).await.unwrap_or_else(|_| panic!("no #{id}"));
        input.clear().await.ok();
        input.send_keys(value).await.expect("type");
    }

    /// Whether the page fits the window's width: nothing makes the whole document scroll
    /// sideways (wide tables scroll inside their own container).
    async fn fits_the_width(&self, page: &str) -> Option<String> {
        let found = self
            .client
            .execute(
                "const w = window.innerWidth;
                 const wide = [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1 && !(e.parentElement && e.parentElement.closest('.pb-table-scroll')))
                   .slice(0, 6).map(e => e.tagName + '.' + e.className + '@' + Math.round(e.getBoundingClientRect().left) + '-' + Math.round(e.getBoundingClientRect().right) + '(' + getComputedStyle(e).position + ')');
                 return [document.documentElement.scrollWidth, w, wide.join(' ')];",
                vec![],
            )
            .await
            .expect("widths");
        let (content, window) = (found[0].as_i64().unwrap_or(0), found[1].as_i64().unwrap_or(0));
        (content > window)
            .then(|| format!("{page} is {content} px wide in a {window} px window: {}", found[2]))
    }

    /// Chooses the radio of group `name` with `value`.
    async fn choose(&self, name: &str, value: &str) {
        let css = format!("input[name='{name}'][value='{value}']");
        let radio = self.client.find(Locator::Css(&css)).await.unwrap_or_else(|_| panic!("no radio {css}"));
        let id = radio.attr("id").await.expect("id").expect("a radio with an id");
        let label = format!("label[for='{id}']");
        self.client
            .find(Locator::Css(&label))
            .await
            .expect("the radio's label")
            .click()
            .await
            .expect("choose");
    }

    async fn click_button(&self, text: &str) {
        let xpath = format!("//button[normalize-space()='{text}']");
        self.mark_page().await;
        let button = self.client.find(Locator::XPath(&xpath)).await;
        button.unwrap_or_else(|_| panic!("no button {text}")).click().await.expect("click");
        self.wait_for_new_page().await;
    }

    async fn click_link(&self, text: &str) {
        self.mark_page().await;
        let link = self.client.find(Locator::LinkText(text)).await;
        link.unwrap_or_else(|_| panic!("no link {text}")).click().await.expect("click");
        self.wait_for_new_page().await;
    }

    async fn click_partial_link(&self, text: &str) {
        self.mark_page().await;
        let xpath = format!("//a[contains(normalize-space(), '{text}')]");
        let link = self.client.find(Locator::XPath(&xpath)).await;
        link.unwrap_or_else(|_| panic!("no link containing {text}")).click().await.expect("click");
        self.wait_for_new_page().await;
    }

    /// Fetches what the link containing `text` points at, in this browser's session: its
    /// status, content type and first five bytes.
    async fn download(&self, text: &str) -> serde_json::Value {
        let xpath = format!("//a[contains(normalize-space(), '{text}')]");
        let link =
            self.client.find(Locator::XPath(&xpath)).await.unwrap_or_else(|_| panic!("no link {text}"));
        let href = link.attr("href").await.expect("href").expect("an href");
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0]).then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), new TextDecoder().decode(new Uint8Array(buf).slice(0, 5))])));",
                vec![json!(href)],
            )
            .await
            .expect("download")
    }

    /// Waits (up to 30 s) until the page shows `text`, across the page's own refreshes.
    async fn wait_for_text(&self, text: &str) -> String {
        let mut last = String::new();
        for _ in 0..300 {
            if let Ok(body) = self.client.find(Locator::Css("body")).await
                && let Ok(shown) = body.text().await
            {
                if shown.contains(text) {
                    return shown;
                }
                last = shown;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {text}:\n{last}");
    }

    /// Marks the current document so that the next one can be told apart from it.
    async fn mark_page(&self) {
        self.client.execute("window.__pbOldPage = true;", vec![]).await.expect("mark the page");
    }

    /// Waits until a click has replaced the marked document with a fully loaded new one.
    async fn wait_for_new_page(&self) {
        for _ in 0..200 {
            let fresh = self
                .client
                .execute("return !window.__pbOldPage && document.readyState === 'complete';", vec![])
                .await;
            if matches!(fresh, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page did not change after the click");
    }

    /// Runs axe-core on the page and fails on any WCAG 2.x A/AA violation. With
    /// `PB_SCREENSHOTS=DIR` it also saves a screenshot of the page there, to look at.
    async fn accessible(&self, page: &str) {
        if let Ok(dir) = std::env::var("PB_SCREENSHOTS") {
            let png = self.client.screenshot().await.expect("screenshot");
            let name: String =
                page.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
                .expect("save screenshot");
        }
        let loaded: Value = self.client.execute("return typeof axe;", vec![]).await.expect("script");
        if loaded != json!("object") {
            self.client.execute(&self.axe, vec![]).await.expect("inject axe");
        }
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
                    .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.html).slice(0, 3) }))))
                    .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
                vec![],
            )
            .await
            .expect("axe runs");
        let violations = result.as_array().cloned().unwrap_or_default();
        assert!(
            violations.is_empty(),
            "accessibility violations on {page}:\n{}",
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_in_a_real_browser() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let base = serve(&app).await;
    let browser = start_browser().await;
    let outcome = tokio::time::timeout(Duration::from_secs(360), async {
        business_manager_sees_only_their_school(&browser, &base).await;
        admin_and_finance_pages(&browser, &base).await;
        finance_bills_a_term(&browser, &base).await;
        business_manager_downloads_their_invoice(&browser, &base).await;
        finance_records_a_payment(&browser, &base).await;
        finance_chases_by_email(&browser, &base).await;
        board_compares_funding_options(&browser, &base).await;
        finance_builds_a_funding_scenario(&browser, &base).await;
        first_year::a_new_partnership_bills_its_first_year(&browser).await;
        pages_fit_a_phone(&browser, &base).await;
    })
    .await;
    let _ = browser.client.clone().close().await;
    outcome.expect("the journeys finish in time");
    app.finish().await;
}

async fn business_manager_sees_only_their_school(b: &Browser, base: &SocketAddr) {
    b.go(base, "/").await;
    assert_eq!(b.path().await, "/sign-in", "signed-out visitors are sent to sign in");
    b.accessible("the sign-in page").await;
    b.fill("email", "sbm@demo.test").await;
    b.fill("password", "wrong password").await;
    b.click_button("Sign in").await;
    assert!(b.text().await.contains("Enter a correct email address and password"));
    b.accessible("the sign-in page with an error").await;
    b.fill("email", "sbm@demo.test").await;
    b.fill("password", "demo-school-2025").await;
    b.click_button("Sign in").await;
    assert_eq!(b.path().await, "/");
    let home = b.text().await;
    assert!(
        home.contains("Welcome, Sandra Patel") && home.contains("Riverside Park Primary School"),
        "{home}"
    );
    b.accessible("the business manager's home page").await;
    b.click_link("Your schools").await;
    let list = b.text().await;
    assert!(list.contains("1 school"), "{list}");
    assert!(list.contains("Riverside Park Primary School") && !list.contains("Millbrook"));
    b.accessible("the schools list").await;
    b.click_link("Riverside Park Primary School").await;
    assert_eq!(b.path().await, "/schools/990003");
    let page = b.text().await;
    assert!(
        page.contains("URN 990003")
            && page.contains("16 January 2025")
            && !page.contains("Record a pupil number")
    );
    b.accessible("the school page").await;
    b.go(base, "/schools/990011").await;
    assert!(b.text().await.contains("Page not found"), "another school is not reachable");
    b.accessible("the not-found page").await;
    b.go(base, "/import").await;
    assert!(b.text().await.contains("You cannot see this page"));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    assert_eq!(b.path().await, "/sign-in");
    b.go(base, "/schools").await;
    assert_eq!(b.path().await, "/sign-in", "signed out for real");
}

async fn sign_in(b: &Browser, base: &SocketAddr, email: &str, password: &str) {
    b.go(base, "/sign-in").await;
    b.fill("email", email).await;
    b.fill("password", password).await;
    b.click_button("Sign in").await;
    assert_eq!(b.path().await, "/", "{email} signed in");
}

async fn finance_bills_a_term(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.click_link("Billing").await;
    b.accessible("the billing page").await;
    b.client
        .find(Locator::Id("year"))
        .await
        .expect("year")
        .select_by_value("2025-26")
        .await
        .expect("choose 2025-26");
    b.click_button("Show its periods").await;
    assert!(b.text().await.contains("Autumn term (1 September 2025 to 31 December 2025)"));
    b.choose("period", "autumn").await;
    b.click_button("Preview invoices").await;
    let preview = b.text().await;
    assert!(
        preview.contains("Preview: 2025-26 autumn") && preview.contains("Invoices to raise"),
        "{preview}"
    );
    assert!(preview.contains("Kestrel Free School (URN 990021): needs pupil number"));
    b.accessible("the billing preview").await;
    b.click_button("Commit and issue 63 invoices").await;
    assert!(b.path().await.starts_with("/billing/runs/"), "the run has its own page");
    let done = b.wait_for_text("63 invoices raised (62 issued, 1 waiting for a PO)").await;
    assert!(done.contains("needs pupil number"), "{done}");
    b.accessible("the committed run").await;
    b.click_link("See the invoices").await;
    assert!(b.text().await.contains("63 invoices"));
    b.accessible("the invoices list").await;
    b.go(base, "/invoices?q=Northgate+Learning+Trust").await;
    b.click_partial_link("RH-").await;
    let invoice = b.text().await;
    assert!(invoice.contains("Invoice RH-") && invoice.contains("Northgate Learning Trust"), "{invoice}");
    b.accessible("an invoice page").await;
    b.fill("reason", "Peer review not delivered").await;
    let first_line = b.client.find(Locator::Css("input[id^='line_']")).await.expect("a line amount");
    first_line.send_keys("100.00").await.expect("type");
    b.click_button("Credit these amounts").await;
    let credited = b.text().await;
    assert!(
        credited.contains("Credit note RHC-000001 was raised")
            && credited.contains("Peer review not delivered"),
        "{credited}"
    );
    b.accessible("an invoice with a credit note").await;
    b.go(base, "/billing/offers/2025-26").await;
    assert!(b.text().await.contains("Fee for a whole year"));
    b.accessible("the offer page").await;
    b.go(base, "/billing/offers/2025-26/levels/Core").await;
    let billed = b.text().await;
    assert!(billed.contains("Core is already billed for the autumn term"), "{billed}");
    b.accessible("a level's page").await;
    b.choose("fee-shape", "per_pupil").await;
    b.fill("fee-per-pupil", "21.50").await;
    b.click_button("Preview what schools would pay").await;
    let preview = b.text().await;
    assert!(preview.contains("What schools would pay") && preview.contains("Would pay more"), "{preview}");
    b.accessible("the fee rule preview").await;
    b.fill("fee-per-pupil", "abc").await;
    b.click_button("Save level").await;
    assert!(b.text().await.contains("The amount per pupil must be an amount"));
    b.accessible("the level editor with an error").await;
    for (path, name) in [
        ("/billing/memberships", "the memberships page"),
        ("/billing/memberships/enrol", "the enrol-many page"),
        ("/billing/offers/new", "the new offer page"),
        ("/billing/offers/2025-26/terms", "the offer's billing plan"),
        ("/billing/offers/2025-26/levels/Core/remove", "the remove-a-level page"),
        ("/settings/partnership", "the partnership details"),
        ("/billing/payers?held=yes", "the payers with held invoices"),
        ("/billing/payers", "the payers page"),
        ("/billing/audit", "the audit log"),
    ] {
        b.go(base, path).await;
        b.accessible(name).await;
    }
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn business_manager_downloads_their_invoice(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    let home = b.text().await;
    assert!(home.contains("What your membership includes"), "{home}");
    b.click_link("Invoices").await;
    let list = b.text().await;
    assert!(list.contains("1 invoice") && list.contains("Riverside Park Primary School"), "{list}");
    b.accessible("a business manager's invoices").await;
    b.click_partial_link("RH-").await;
    let fetched = b.download("Download the invoice").await;
    assert_eq!(fetched, json!([200, "application/pdf", "%PDF-"]));
    b.accessible("a business manager's invoice").await;
    b.go(base, "/billing").await;
    assert!(b.text().await.contains("You cannot see this page"));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

/// Finance matches a bank statement line to a school's invoice (confirming the suggestion),
/// records another payment by hand; the business manager sees the invoice paid and downloads
/// the statement of account.
async fn finance_records_a_payment(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.go(base, "/invoices?q=Riverside%20Park").await;
    b.click_partial_link("RH-").await;
    let invoice = b.text().await;
    let number =
        invoice.split_whitespace().find(|w| w.starts_with("RH-")).expect("an invoice number").to_string();
    let owed = invoice
        .split("Outstanding")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().find(|w| w.starts_with('£')))
        .expect("what is owed")
        .trim_start_matches('£')
        .replace(',', "");
    let (pounds, pence) = owed.split_once('.').expect("pence");
    let over = format!("{}.{pence}", pounds.parse::<u64>().expect("pounds") + 10);
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("november.csv");
    let today = chrono::Utc::now().date_naive().format("%d/%m/%Y");
    std::fs::write(
        &file,
        format!("Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance\n{today},BGC,'20-45-77,43218765,{number},,{over},9000.00\n{today},BGC,'20-45-77,43218765,INTEREST,,1.23,9001.23\n"),
    )
    .expect("a statement file");
    b.go(base, "/bank-statements").await;
    b.accessible("the bank statements page").await;
    let upload = b.client.find(Locator::Id("file")).await.expect("a file input");
    upload.send_keys(file.to_str().expect("a path")).await.expect("choose the file");
    b.click_button("Upload and match").await;
    let page = b.text().await;
    assert!(page.contains("1 with suggestions to check") && page.contains("£10.00 more than owed"), "{page}");
    b.accessible("a bank statement").await;
    b.mark_page().await;
    b.client
        .find(Locator::Css("button[name='action'][value='confirm']"))
        .await
        .expect("a confirm button")
        .click()
        .await
        .expect("confirm");
    b.wait_for_new_page().await;
    assert!(b.text().await.contains("Line 1 is now matched."));
    b.go(base, "/payments/new").await;
    b.accessible("recording a payment").await;
    b.go(base, "/aged-debt").await;
    b.accessible("aged debt").await;
    b.go(base, "/payments").await;
    assert!(b.text().await.contains(&number));
    b.accessible("the payments list").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    b.click_link("Invoices").await;
    assert!(b.text().await.contains("Paid"), "the business manager sees the invoice paid");
    b.click_partial_link("RH-").await;
    b.click_partial_link("statement of account").await;
    let statement = b.text().await;
    assert!(statement.contains("Closing balance") && statement.contains("£10.00 in credit"), "{statement}");
    b.accessible("a business manager's statement").await;
    let fetched = b.download("Download the statement").await;
    assert_eq!(fetched, json!([200, "application/pdf", "%PDF-"]));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

/// A business manager gives their school a billing email address; finance turns emailing and
/// reminders on, emails a statement, runs the mail job by hand, reads the email in the outbox
/// and pauses an invoice's reminders.
async fn finance_chases_by_email(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    b.click_link("Invoices").await;
    b.click_partial_link("RH-").await;
    b.click_partial_link("statement of account").await;
    b.click_partial_link("Change").await;
    b.accessible("billing email addresses").await;
    b.fill("email", "office@riverside.example, not an address").await;
    b.click_button("Save the addresses").await;
    assert!(b.text().await.contains("are not email addresses"));
    b.accessible("billing email addresses with an error").await;
    b.fill("email", "office@riverside.example").await;
    b.click_button("Save the addresses").await;
    assert!(b.text().await.contains("billing email addresses were saved"));
    b.go(base, "/").await;
    b.click_button("Sign out").await;

    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.click_link("Billing").await;
    b.click_partial_link("Reminders and emails").await;
    b.accessible("reminders and emails").await;
    b.choose("documents", "yes").await;
    b.choose("reminders", "on").await;
    b.click_button("Save reminders and emails").await;
    assert!(b.text().await.contains("settings were saved"));
    b.accessible("reminders and emails, saved").await;
    b.click_link("Invoices").await;
    b.click_partial_link("RH-").await;
    b.fill("pause-reason", "disputed").await;
    b.click_button("Pause reminders").await;
    assert!(b.text().await.contains("Reminders are paused: disputed"));
    b.accessible("an invoice with reminders paused").await;
    b.click_partial_link("statement of account").await;
    b.click_button("Email this statement").await;
    assert!(b.text().await.contains("The statement is queued to be emailed"));
    b.go(base, "/jobs").await;
    b.accessible("jobs").await;
    b.click_button("Run now: Send mail").await;
    let jobs = b.text().await;
    assert!(jobs.contains("Send mail: Queued") && jobs.contains("Run now (page)"), "{jobs}");
    b.accessible("jobs after a run").await;
    b.go(base, "/mail").await;
    b.accessible("the emails list").await;
    b.click_partial_link("Statement of account from").await;
    let message = b.text().await;
    assert!(message.contains("What it says") && message.contains("Please find attached"), "{message}");
    b.accessible("an email").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn board_compares_funding_options(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "board@demo.test", "demo-board-2025").await;
    b.click_link("Funding models").await;
    b.accessible("the funding models list").await;
    b.click_link("2026-27 funding options").await;
    let page = b.text().await;
    assert!(
        page.contains("Options side by side")
            && page.contains("Single partnership fee")
            && page.contains("Core only"),
        "{page}"
    );
    assert!(page.contains("Break-even") && page.contains("Surplus (deficit)"));
    b.accessible("a funding scenario").await;
    b.client
        .find(Locator::Id("option"))
        .await
        .expect("option")
        .select_by_value("2")
        .await
        .expect("choose core only");
    b.client
        .find(Locator::Id("phase"))
        .await
        .expect("phase")
        .select_by_value("Secondary")
        .await
        .expect("choose secondary");
    b.click_button("Show schools").await;
    let table = b.text().await;
    assert!(table.contains("under Core only") && table.contains("Secondary"), "{table}");
    assert_eq!(
        b.client.find_all(Locator::Css("svg[role=img]")).await.expect("charts").len(),
        3,
        "income against cost, surplus against sign-up, charges by phase"
    );
    b.accessible("a funding scenario filtered to secondaries").await;
    // Sort by charge, lowest first, with a header link (no script needed).
    b.click_partial_link("Charge").await;
    b.click_partial_link("Charge").await;
    assert!(b.path().await.ends_with("funding%20options") || b.path().await.contains("funding"));
    let sorted = b.client.find(Locator::Css("th[aria-sort=ascending]")).await.expect("a sorted column");
    assert!(sorted.text().await.expect("text").starts_with("Charge"));
    let charges: Vec<String> = {
        let mut out = Vec::new();
        for cell in b.client.find_all(Locator::Css("#schools tbody tr td:nth-child(4)")).await.expect("cells")
        {
            out.push(cell.text().await.expect("text"));
        }
        out
    };
    let pence: Vec<i64> =
        charges.iter().map(|c| c.replace(['£', ',', '.'], "").parse().expect("an amount")).collect();
    assert!(!pence.is_empty() && pence.windows(2).all(|w| w[0] <= w[1]), "{charges:?}");
    b.accessible("a funding scenario sorted by charge").await;
    assert_eq!(b.download("Download the board paper").await, json!([200, "application/pdf", "%PDF-"]));
    assert_eq!(b.download("CSV").await.get(1).cloned(), Some(json!("text/csv; charset=utf-8")));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn finance_builds_a_funding_scenario(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.go(base, "/funding").await;
    b.click_link("Create a scenario").await;
    b.accessible("creating a scenario").await;
    b.fill("name", "Browser scenario").await;
    b.fill("year", "2027-28").await;
    b.click_button("Create scenario").await;
    assert!(b.text().await.contains("No costs yet"));
    b.accessible("a new scenario's overview").await;
    b.click_link("Add a cost line").await;
    b.accessible("adding a cost line").await;
    b.fill("line-name", "Coordinator").await;
    b.client.find(Locator::Id("kind")).await.expect("core").click().await.expect("click");
    b.client.find(Locator::Id("pricing")).await.expect("amount").click().await.expect("click");
    b.fill("amount", "not money").await;
    b.click_button("Save cost line").await;
    assert!(b.text().await.contains("The amount must be an amount, like 1500.00"));
    b.accessible("a cost line with an error").await;
    b.fill("amount", "45000").await;
    b.click_button("Save cost line").await;
    assert!(b.text().await.contains("£45,000.00"));
    b.click_link("Add an option").await;
    b.accessible("adding an option").await;
    b.fill("option-name", "Flat fee").await;
    b.client
        .find(Locator::Css("input[name=fee-shape][value=flat]"))
        .await
        .expect("flat")
        .click()
        .await
        .expect("click");
    b.fill("fee-flat", "400").await;
    b.click_button("Save option").await;
    let overview = b.text().await;
    assert!(overview.contains("Flat fee") && overview.contains("£400.00 a school"), "{overview}");
    b.accessible("a scenario with an option").await;
    b.go(base, "/funding/Browser%20scenario/settings").await;
    b.accessible("a scenario's year, schools and council").await;
    b.go(base, "/funding/Browser%20scenario").await;
    assert!(b.text().await.contains("Funding model, 2027-28"));
    b.accessible("the new scenario compared").await;
    b.go(base, "/funding/Browser%20scenario/duplicate").await;
    b.accessible("duplicating a scenario").await;
    b.click_button("Duplicate scenario").await;
    assert!(b.text().await.contains("Copy of Browser scenario"));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn admin_and_finance_pages(b: &Browser, base: &SocketAddr) {
    b.go(base, "/sign-in").await;
    b.fill("email", "admin@demo.test").await;
    b.fill("password", "demo-admin-2025").await;
    b.click_button("Sign in").await;
    b.accessible("the admin's home page").await;
    b.go(base, "/schools?phase=Secondary&la=991").await;
    assert!(b.text().await.contains("12 schools"));
    b.accessible("the filtered schools list").await;
    b.go(base, "/schools?page=2").await;
    b.accessible("page 2 of the schools list").await;
    b.go(base, "/schools/990011").await;
    b.fill("pupils", "lots").await;
    b.click_button("Record pupil number").await;
    let errors = b.text().await;
    assert!(
        errors.contains("There is a problem") && errors.contains("is not a whole number of pupils"),
        "{errors}"
    );
    b.accessible("the school page with form errors").await;
    b.go(base, "/import").await;
    b.accessible("the import page").await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n990800,990,Riverside,Browser School,Community school,Primary,Gone\n",
    )
    .expect("write");
    b.client
        .find(Locator::Id("file"))
        .await
        .expect("file input")
        .send_keys(&file.display().to_string())
        .await
        .expect("choose file");
    b.click_button("Import").await;
    let result = b.text().await;
    assert!(
        result.contains("Nothing was imported")
            && result.contains("\"Gone\" is not a GIAS establishment status"),
        "{result}"
    );
    b.accessible("the import page with row problems").await;
    b.go(base, "/users").await;
    b.accessible("the users page").await;
    b.click_button("Add user").await;
    assert!(b.text().await.contains("There is a problem"));
    b.accessible("the users page with errors").await;
    b.click_button("Sign out").await;
}

/// Every page, at a phone's 390 px, fits the width and passes axe-core.
async fn pages_fit_a_phone(b: &Browser, base: &SocketAddr) {
    b.client.set_window_size(390, 844).await.expect("a phone-sized window");
    let inner: Value = b.client.execute("return window.innerWidth;", vec![]).await.expect("width");
    assert!(inner.as_i64().is_some_and(|w| w <= 400), "the window is phone-sized: {inner}");
    let pages = [
        "/",
        "/billing",
        "/billing/offers/2025-26",
        "/billing/offers/2025-26/levels/Core",
        "/billing/offers/new",
        "/billing/memberships",
        "/billing/memberships/enrol",
        "/billing/payers",
        "/billing/audit",
        "/billing/settings",
        "/settings/partnership",
        "/invoices",
        "/schools",
        "/schools/990011",
        "/funding",
        "/funding/2026-27%20funding%20options",
        "/funding/2026-27%20funding%20options/edit",
        "/funding/2026-27%20funding%20options/paper",
        "/billing/payers/1",
        "/billing/runs",
        "/billing/memberships/1",
        "/users",
        "/import",
        "/account/sessions",
        "/payments",
        "/payments/new",
        "/aged-debt",
        "/payers/1/account",
        "/bank-statements",
        "/bank-statements/1",
        "/settlements/new?council=1",
        "/reminders",
        "/mail",
        "/jobs",
    ];
    sign_in(b, base, "admin@demo.test", "demo-admin-2025").await;
    let mut too_wide = Vec::new();
    for path in pages {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(path).await);
        b.accessible(&format!("{path} at 390 px")).await;
    }
    b.go(base, "/invoices").await;
    b.click_partial_link("RH-").await;
    too_wide.extend(b.fits_the_width("an invoice").await);
    b.accessible("an invoice at 390 px").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    for path in ["/", "/invoices"] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(&format!("{path} for a business manager")).await);
        b.accessible(&format!("{path} for a business manager at 390 px")).await;
    }
    assert!(too_wide.is_empty(), "pages wider than a phone:\n{}", too_wide.join("\n"));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    b.client.set_window_size(1280, 1000).await.expect("back to a desktop window");
}

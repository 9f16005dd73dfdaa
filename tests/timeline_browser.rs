//! `timeline.html` in a real browser: headless Chromium opens each known
//! failure (and a 50,000-operation history) and the page must finish
//! drawing without a script error. Screenshots go to
//! `target/timeline-shots/` for people to look at.
//!
//! The page writes `<div id="js-error">` on any script error and
//! `<div id="render-done" data-ms=…>` when it has drawn, so `--dump-dom`
//! after a virtual-time budget tells both apart. Without Chromium
//! (`/usr/bin/chromium`, or `$CHROMIUM`) the test says so and passes.

mod timeline_fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use timeline_fixtures::*;

fn chromium() -> Option<PathBuf> {
    let path =
        std::env::var_os("CHROMIUM").map_or(PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    path.is_file().then_some(path)
}

/// Runs headless Chromium on `page` with `mode` (`--dump-dom` or
/// `--screenshot=…`); returns stdout.
fn run_chromium(browser: &Path, page: &Path, mode: &str, profile: &Path) -> String {
    let _ = std::fs::remove_dir_all(profile);
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--window-size=1600,1000",
            mode,
            &format!("file://{}", page.canonicalize().unwrap().display()),
        ])
        .output()
        .expect("chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// How long the page said it took to draw, in ms, or why it did not.
fn open_page(browser: &Path, page: &Path, shot: &Path, profile: &Path) -> Result<u64, String> {
    let dom = run_chromium(browser, page, "--dump-dom", profile);
    if let Some(at) = dom.find("id=\"js-error\"") {
        let end = dom[at..].find("</div>").map_or(dom.len(), |e| at + e);
        return Err(format!("script error: {}", &dom[at..end]));
    }
    let Some(at) = dom.find("id=\"render-done\"") else {
        return Err("the page never finished drawing".to_string());
    };
    let ms_at = dom[at..].find("data-ms=\"").ok_or("no data-ms")? + at + 9;
    let ms = dom[ms_at..].split('"').next().unwrap_or("").parse::<u64>();
    run_chromium(
        browser,
        page,
        &format!("--screenshot={}", shot.display()),
        profile,
    );
    if !shot.is_file() {
        return Err("no screenshot".to_string());
    }
    ms.map_err(|err| format!("data-ms: {err}"))
}

#[test]
fn every_known_failure_opens_in_chromium_without_errors() {
    let Some(browser) = chromium() else {
        println!(
            "skipped: no Chromium at /usr/bin/chromium (or $CHROMIUM); apt-get install chromium"
        );
        return;
    };
    let dir = scratch("browser");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/timeline-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut pages = known_failures(&dir);
    let big = dir.join("big-50000.jsonl");
    big_history(&big, 50_000);
    let html = dir.join("big-50000.html");
    let run = raftstorm(&[
        "check",
        "--model",
        "kv",
        "--html",
        html.to_str().unwrap(),
        big.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    pages.push(Page {
        name: "big-50000",
        html,
        history: big,
        check: "none",
        trial: false,
    });
    for page in &pages {
        let shot = shots.join(format!("{}.png", page.name));
        let _ = std::fs::remove_file(&shot);
        let started = Instant::now();
        let drawn = open_page(&browser, &page.html, &shot, &dir.join("profile"));
        let ms = drawn.unwrap_or_else(|problem| panic!("{}: {problem}", page.name));
        println!(
            "{}: drawn in {ms} ms after navigation ({:.1} s for two Chromium runs), {}",
            page.name,
            started.elapsed().as_secs_f64(),
            shot.display()
        );
    }
}

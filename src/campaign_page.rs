//! `OUT/index.html`: a campaign at a glance — its totals, failures per
//! check, and every failing trial with its seed, its checks, why it failed
//! in one line, and links to its timeline and report.
//!
//! Plain HTML with inline CSS, no script: it opens anywhere, and the links
//! are relative so the output directory can be copied or served as is.

use crate::report::{CampaignReport, FailureEntry};
use std::fmt::Write;
use std::path::Path;

/// The page for `report`, whose failure artifacts live under `out`.
pub fn campaign_page(report: &CampaignReport, out: &Path) -> String {
    let mut html = String::with_capacity(4096 + report.failures.len() * 400);
    html.push_str(HEAD);
    let totals = &report.totals;
    let _ = write!(
        html,
        "<h1>raftstorm campaign {seed}: {validity}</h1>\n<p class=\"sub\">raftstorm {version}; {trials} trials \
         ({valid} valid, {invalid} invalid, {unknown} unknown), {ops} client operations, {sim:.0} simulated \
         seconds in {elapsed:.1} s ({rate:.0} trials/s)</p>\n",
        seed = report.campaign_seed,
        validity = report.validity,
        version = escape(&report.version),
        trials = totals.trials,
        valid = totals.valid,
        invalid = totals.invalid,
        unknown = totals.unknown,
        ops = totals.ops,
        sim = totals.simulated_ns as f64 / 1e9,
        elapsed = report.elapsed_sec,
        rate = report.trials_per_sec,
    );
    html.push_str("<h2>Failures per check</h2>\n");
    if report.failures_per_check.is_empty() {
        html.push_str("<p class=\"ok\">No trial failed.</p>\n");
    } else {
        html.push_str("<table><tr><th>check</th><th>trials</th></tr>\n");
        for (check, count) in &report.failures_per_check {
            let _ = writeln!(html, "<tr><td>{}</td><td>{count}</td></tr>", escape(check));
        }
        html.push_str("</table>\n");
    }
    if !report.failures.is_empty() {
        let _ = writeln!(html, "<h2>Failing trials ({})</h2>", report.failures.len());
        html.push_str(
            "<table><tr><th>trial</th><th>seed</th><th>checks</th><th>why</th><th>artifact</th><th>replay</th></tr>\n",
        );
        for failure in &report.failures {
            failure_row(&mut html, failure, out);
        }
        html.push_str("</table>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// One failing trial: links are relative to the page, in `out`.
fn failure_row(html: &mut String, failure: &FailureEntry, out: &Path) {
    let directory = Path::new(&failure.artifact);
    let relative = directory.strip_prefix(out).unwrap_or(directory);
    let link = relative.to_string_lossy().replace('\\', "/");
    let reason = failure.reason.as_deref().unwrap_or("");
    let _ = writeln!(
        html,
        "<tr><td>{index}</td><td>{seed}</td><td>{checks}</td><td class=\"why\">{reason}</td>\
         <td class=\"links\"><a href=\"{link}/timeline.html\">timeline</a> · <a href=\"{link}/report.txt\">report</a></td>\
         <td><code>{replay}</code></td></tr>",
        index = failure.index,
        seed = failure.seed,
        checks = escape(&failure.checks.join(", ")),
        reason = escape(reason),
        link = escape(&link),
        replay = escape(&failure.replay),
    );
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const HEAD: &str = "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<title>raftstorm campaign</title>
<style>
  body { font-family: system-ui, sans-serif; font-size: 13px; margin: 14px; color: #1d2330; }
  h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 16px 0 6px; }
  .sub { color: #5b6475; margin: 0; } .ok { color: #2e7d32; }
  table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
  tr + tr td { border-top: 1px solid #e3e6ec; } td.why { max-width: 60ch; } td.links { white-space: nowrap; }
  code { font-size: 11px; color: #5b6475; }
</style>
</head>
<body>
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Shard;
    use crate::trial::TrialConfig;
    use checker::Validity;

    #[test]
    fn the_page_lists_each_failure_with_relative_links_and_escapes_text() {
        let out = Path::new("camp-out");
        let mut report = CampaignReport::new(7, Some(10), TrialConfig::default(), Shard::WHOLE);
        report.totals.trials = 10;
        report
            .failures_per_check
            .insert("linearizability".into(), 1);
        report.failures.push(FailureEntry {
            index: 3,
            seed: 1234,
            validity: Validity::Invalid,
            checks: vec!["linearizability".into()],
            artifact: "camp-out/failures/1234".into(),
            replay: "raftstorm replay camp-out/failures/1234/trial.json".into(),
            reason: Some("key k1 is not linearizable: p2 get k1 → <v3>".into()),
            shrunk: Vec::new(),
        });
        let html = campaign_page(&report, out);
        for expected in [
            "<td>linearizability</td><td>1</td>",
            "href=\"failures/1234/timeline.html\"",
            "href=\"failures/1234/report.txt\"",
            "p2 get k1 → &lt;v3&gt;",
            "<td>1234</td>",
        ] {
            assert!(html.contains(expected), "{expected} in {html}");
        }
    }
}

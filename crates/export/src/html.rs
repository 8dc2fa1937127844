//! One self-contained HTML file that opens offline and prints: the header (audit,
//! organization, run, times, profile, tool), the Cover summary (status and standing counts,
//! the compliance table per framework with a stacked bar chart, the open DISA STIG findings
//! by category), a table per instance and per check, then every non-passing finding grouped
//! by instance and check, with its evidence, references, annotation and drift.
//!
//! Self-contained means: inline CSS, charts as inline SVG, no script, no font, no image and
//! no web address; a Content-Security-Policy meta tag (`default-src 'none'`) forbids the
//! browser to load anything, should a value ever smuggle a reference in. Every value read
//! from a server or typed by an auditor is escaped (`&`, `<`, `>`, `"`, `'`), so a login
//! named `<script>` is text. Printing: each instance's findings start on a new page, table
//! headers repeat, nothing is sticky or fixed, and statuses are written as words (charts
//! carry their numbers), so a black-and-white copy reads the same.

use std::fmt::Write as _;

use audit_core::checks::catalogue;
use audit_core::compliance::FrameworkSummary;
use audit_core::{Standing, Status};

use crate::verdict::{self, references_line};
use crate::{Report, ResultRow};

/// The Content-Security-Policy the file declares: nothing may be fetched; inline styles only.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// Statuses in the order the report lists them, with the colour each is drawn in.
const STATUS_COLOURS: [(Status, &str); 6] = [
    (Status::Fail, "#b3261e"),
    (Status::Warn, "#e6a118"),
    (Status::Review, "#4a5fd0"),
    (Status::Unknown, "#6f6f6f"),
    (Status::Info, "#9cc3e6"),
    (Status::Pass, "#2e7d32"),
];

/// The compliance states in the order of the stacked bars, with their colours.
const STATE_COLOURS: [(&str, &str); 7] = [
    ("Passed", "#2e7d32"),
    ("Failed", "#b3261e"),
    ("Excepted", "#8e6bbf"),
    ("Baselined", "#4a9a9a"),
    ("Not reviewed", "#e6a118"),
    ("Not applicable", "#bdbdbd"),
    ("Not selected", "#e8e8e8"),
];

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1d1d; background: #fff; margin: 0 auto; max-width: 1200px; padding: 0 24px 48px; }
h1 { font-size: 1.7em; margin: 24px 0 4px; }
h2 { font-size: 1.35em; border-bottom: 2px solid #1d1d1d; padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 1.2em; margin: 28px 0 8px; }
h4 { font-size: 1.05em; margin: 20px 0 6px; }
nav ul { list-style: none; padding: 0; display: flex; gap: 16px; flex-wrap: wrap; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid #9e9e9e; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eeeeee; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: #9e9e9e; }
table.counts { width: auto; min-width: 50%; }
tr.open td:first-child { border-left: 4px solid #1d1d1d; }
.badge { display: inline-block; border: 1.5px solid currentColor; border-radius: 3px; padding: 0 5px; font-size: 0.82em; font-weight: 700; letter-spacing: 0.03em; }
.s-FAIL { color: #b3261e; } .s-WARN { color: #8a5a00; } .s-REVIEW { color: #3247b8; }
.s-UNKNOWN { color: #555; } .s-PASS { color: #2e7d32; } .s-INFO { color: #2f6b9a; }
.standing { font-style: italic; }
article.finding { border: 1px solid #9e9e9e; border-left-width: 5px; padding: 6px 10px; margin: 8px 0; }
article.finding.st-FAIL { border-left-color: #b3261e; } article.finding.st-WARN { border-left-color: #e6a118; }
article.finding.st-REVIEW { border-left-color: #4a5fd0; } article.finding.st-UNKNOWN { border-left-color: #6f6f6f; }
article.finding p { margin: 4px 0; }
.message, table.evidence td, dl.annotation dd { white-space: pre-wrap; }
.entity { font-family: ui-monospace, "Cascadia Mono", Consolas, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
table.evidence { width: auto; min-width: 40%; font-size: 0.92em; }
table.evidence th { width: 14em; font-weight: 600; }
.refs { font-size: 0.9em; color: #333; }
.fingerprint { font-size: 0.78em; color: #666; font-family: ui-monospace, monospace; }
.chart { width: 100%; height: auto; }
.chart text { font: 13px system-ui, sans-serif; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.9em; padding: 0; list-style: none; }
.legend span.key { display: inline-block; width: 12px; height: 12px; border: 1px solid #555; margin-right: 4px; vertical-align: -1px; }
.note { color: #444; font-size: 0.92em; }
footer { margin-top: 40px; font-size: 0.85em; color: #555; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  * { position: static !important; box-shadow: none !important; }
  section.instance { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  thead { display: table-header-group; }
  tr, article.finding { break-inside: avoid; }
  th { background: #fff; }
  .chart, .badge, .legend span.key { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"#;

/// The report as one HTML5 file (UTF-8).
pub fn write(report: &Report) -> Vec<u8> {
    let mut html = String::with_capacity(64 * 1024);
    let title = format!("{} — {}", report.audit, report.organization);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(CONTENT_SECURITY_POLICY),
        esc(&report.tool),
        esc(&title),
    );
    header(&mut html, report);
    summary(&mut html, report);
    instances(&mut html, report);
    checks(&mut html, report);
    findings(&mut html, report);
    let _ = write!(
        html,
        "<footer>Written by {} from run {} of the audit history. Every value is as recorded; \
         statuses are the checks' conclusions, standings say whether anyone still has to act.</footer>\n\
         </body>\n</html>\n",
        esc(&report.tool),
        report.run_id
    );
    html.into_bytes()
}

/// Escapes text for HTML element content and double- or single-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn header(html: &mut String, report: &Report) {
    let reached = report.instances.iter().filter(|i| i.reached).count();
    let _ = write!(
        html,
        "<header id=\"header\">\n<h1>Security audit: <bdi>{}</bdi></h1>\n<dl class=\"meta\">\n",
        esc(&report.audit)
    );
    let rows = [
        ("Organization", report.organization.clone()),
        ("Audit", report.audit.clone()),
        ("Run", report.run_id.to_string()),
        ("Started (UTC)", report.started.clone()),
        ("Finished (UTC)", report.finished.clone()),
        ("Profile", report.profile.clone()),
        (
            "Instances",
            format!("{} ({reached} reached)", report.instances.len()),
        ),
        ("Tool", report.tool.clone()),
    ];
    for (term, value) in rows {
        let _ = writeln!(html, "<dt>{term}</dt><dd><bdi>{}</bdi></dd>", esc(&value));
    }
    html.push_str("</dl>\n<nav><ul><li><a href=\"#summary\">Summary</a></li><li><a href=\"#instances\">Instances</a></li><li><a href=\"#checks\">Checks</a></li><li><a href=\"#findings\">Findings</a></li></ul></nav>\n</header>\n");
}

fn all_rows(report: &Report) -> impl Iterator<Item = &ResultRow> {
    report.instances.iter().flat_map(|i| i.results.iter())
}

fn summary(html: &mut String, report: &Report) {
    html.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<h3>Findings by status</h3>\n");
    let counts: Vec<(String, usize, &str)> = STATUS_COLOURS
        .iter()
        .map(|(status, colour)| {
            let n = all_rows(report)
                .filter(|r| r.finding.status == *status)
                .count();
            (status.as_str().to_owned(), n, *colour)
        })
        .collect();
    stacked_bars(
        html,
        "Findings by status",
        &[(String::new(), counts.iter().map(|(_, n, _)| *n).collect())],
        &counts
            .iter()
            .map(|(l, _, c)| (l.as_str(), *c))
            .collect::<Vec<_>>(),
    );
    html.push_str("<table id=\"status-counts\" class=\"counts\"><thead><tr>");
    for (label, _, _) in &counts {
        let _ = write!(html, "<th class=\"n\">{label}</th>");
    }
    html.push_str("<th class=\"n\">Total</th></tr></thead><tbody><tr>");
    for (_, n, _) in &counts {
        num(html, *n);
    }
    num(html, all_rows(report).count());
    html.push_str("</tr></tbody></table>\n");

    html.push_str(
        "<h3>Findings by standing</h3>\n<table id=\"standing-counts\" class=\"counts\"><thead><tr>",
    );
    let standings = [
        (Standing::Open, "Open"),
        (Standing::Drift, "Drift"),
        (Standing::Excepted, "Excepted"),
        (Standing::Baselined, "Baselined"),
        (Standing::Compliant, "Compliant"),
    ];
    for (_, label) in standings {
        let _ = write!(html, "<th class=\"n\">{label}</th>");
    }
    html.push_str("</tr></thead><tbody><tr>");
    for (standing, _) in standings {
        num(
            html,
            all_rows(report).filter(|r| r.standing == standing).count(),
        );
    }
    html.push_str("</tr></tbody></table>\n<p class=\"note\">Open and drift findings need someone to act; excepted ones are covered by a documented exception, baselined ones match an approved baseline.</p>\n");

    compliance(html, &report.compliance);
    html.push_str("</section>\n");
}

fn compliance(html: &mut String, frameworks: &[FrameworkSummary]) {
    html.push_str("<h3>Compliance by framework</h3>\n");
    if frameworks.is_empty() {
        html.push_str("<p class=\"note\">No compliance summary was recorded for this run.</p>\n");
        return;
    }
    let bars: Vec<(String, Vec<usize>)> = frameworks
        .iter()
        .map(|f| (f.framework.clone(), state_counts(f).to_vec()))
        .collect();
    stacked_bars(
        html,
        "Compliance results by framework",
        &bars,
        &STATE_COLOURS,
    );
    html.push_str("<table id=\"compliance\"><thead><tr><th>Framework</th><th>Scope</th><th class=\"n\">Items</th><th class=\"n\">Results</th>");
    for (label, _) in STATE_COLOURS {
        let _ = write!(html, "<th class=\"n\">{label}</th>");
    }
    html.push_str("<th class=\"n\">Passed %</th></tr></thead><tbody>\n");
    for f in frameworks {
        let _ = write!(
            html,
            "<tr><td><bdi>{}</bdi></td><td>{}</td>",
            esc(&f.framework),
            esc(&f.scope)
        );
        num(html, f.items);
        num(html, f.results);
        for n in state_counts(f) {
            num(html, n);
        }
        let applicable = f.results.saturating_sub(f.not_applicable + f.not_selected);
        if applicable == 0 {
            html.push_str("<td class=\"n\">–</td>");
        } else {
            let _ = write!(
                html,
                "<td class=\"n\">{:.1}</td>",
                100.0 * f.passed as f64 / applicable as f64
            );
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table>\n<p class=\"note\">A result is one benchmark item on one instance. Passed % = passed ÷ (results − not applicable − not selected); excepted and baselined results are not counted as passed.</p>\n");

    html.push_str("<h3>Open DISA STIG findings by category</h3>\n");
    match frameworks.iter().find_map(|f| f.open_by_category) {
        Some([cat1, cat2, cat3]) => {
            html.push_str("<table id=\"stig-categories\" class=\"counts\"><thead><tr><th class=\"n\">CAT I (high)</th><th class=\"n\">CAT II (medium)</th><th class=\"n\">CAT III (low)</th></tr></thead><tbody><tr>");
            for n in [cat1, cat2, cat3] {
                num(html, n);
            }
            html.push_str("</tr></tbody></table>\n");
        }
        None => html.push_str(
            "<p class=\"note\">The compliance summary has no DISA STIG categories.</p>\n",
        ),
    }
}

fn state_counts(f: &FrameworkSummary) -> [usize; 7] {
    [
        f.passed,
        f.failed,
        f.excepted,
        f.baselined,
        f.not_reviewed,
        f.not_applicable,
        f.not_selected,
    ]
}

/// A horizontal stacked bar per row (label, counts in `legend` order) as inline SVG, with
/// each segment's count written on it when it fits, then a legend with the totals.
fn stacked_bars(
    html: &mut String,
    title: &str,
    rows: &[(String, Vec<usize>)],
    legend: &[(&str, &str)],
) {
    const WIDTH: f64 = 1000.0;
    const ROW: f64 = 34.0;
    let labelled = rows.iter().any(|(label, _)| !label.is_empty());
    let left = if labelled { 150.0 } else { 0.0 };
    let height = ROW * rows.len() as f64;
    let _ = writeln!(
        html,
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    for (index, (label, counts)) in rows.iter().enumerate() {
        let y = ROW * index as f64 + 4.0;
        let total: usize = counts.iter().sum();
        if labelled {
            let _ = write!(
                html,
                "<text x=\"0\" y=\"{:.1}\">{}</text>",
                y + 18.0,
                esc(label)
            );
        }
        let span = WIDTH - left;
        let mut x = left;
        if total == 0 {
            let _ = write!(
                html,
                "<rect x=\"{left:.1}\" y=\"{y:.1}\" width=\"{span:.1}\" height=\"26\" fill=\"#fff\" stroke=\"#9e9e9e\"/><text x=\"{:.1}\" y=\"{:.1}\">no results</text>",
                left + 6.0,
                y + 18.0
            );
        }
        for (n, (name, colour)) in counts.iter().zip(legend) {
            if *n == 0 || total == 0 {
                continue;
            }
            let w = span * *n as f64 / total as f64;
            let _ = write!(
                html,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"26\" fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"1\"><title>{}: {n}</title></rect>",
                esc(name)
            );
            if w >= 28.0 {
                let _ = write!(
                    html,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{n}</text>",
                    x + w / 2.0,
                    y + 18.0,
                );
            }
            x += w;
        }
        html.push('\n');
    }
    html.push_str("</svg>\n<ul class=\"legend\">");
    for (i, (name, colour)) in legend.iter().enumerate() {
        let total: usize = rows
            .iter()
            .map(|(_, c)| c.get(i).copied().unwrap_or(0))
            .sum();
        let _ = write!(
            html,
            "<li><span class=\"key\" style=\"background:{colour}\"></span>{}: {total}</li>",
            esc(name)
        );
    }
    html.push_str("</ul>\n");
}

fn num(html: &mut String, n: usize) {
    if n == 0 {
        html.push_str("<td class=\"n zero\">0</td>");
    } else {
        let _ = write!(html, "<td class=\"n\">{n}</td>");
    }
}

fn count(rows: &[&ResultRow], status: Status) -> usize {
    rows.iter().filter(|r| r.finding.status == status).count()
}

fn instances(html: &mut String, report: &Report) {
    html.push_str("<section id=\"instances\">\n<h2>Instances</h2>\n<table><thead><tr><th>Instance</th><th>Target</th><th>Version</th><th>Edition</th><th>Reached</th>");
    for (status, _) in STATUS_COLOURS {
        let _ = write!(html, "<th class=\"n\">{status}</th>");
    }
    html.push_str("<th class=\"n\">Open</th><th class=\"n\">Excepted</th><th class=\"n\">Baselined</th></tr></thead><tbody>\n");
    for instance in &report.instances {
        let rows: Vec<&ResultRow> = instance.results.iter().collect();
        let open = rows.iter().filter(|r| r.standing.is_open()).count();
        let reached = if instance.reached {
            "yes".to_owned()
        } else {
            format!(
                "NO: {}",
                instance.reason.as_deref().unwrap_or("no reason recorded")
            )
        };
        let _ = write!(
            html,
            "<tr{}><td class=\"entity\"><bdi>{}</bdi></td><td class=\"entity\"><bdi>{}</bdi></td><td>{}</td><td>{}</td><td>{}</td>",
            if open > 0 || !instance.reached {
                " class=\"open\""
            } else {
                ""
            },
            esc(&instance.label),
            esc(&instance.target_id),
            esc(instance.version.as_deref().unwrap_or("–")),
            esc(instance.edition.as_deref().unwrap_or("–")),
            esc(&reached),
        );
        for (status, _) in STATUS_COLOURS {
            num(html, count(&rows, status));
        }
        num(html, open);
        for standing in [Standing::Excepted, Standing::Baselined] {
            num(html, rows.iter().filter(|r| r.standing == standing).count());
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table>\n</section>\n");
}

fn checks(html: &mut String, report: &Report) {
    html.push_str("<section id=\"checks\">\n<h2>Checks</h2>\n<p class=\"note\">Every check of the catalogue, with its findings on all instances.</p>\n<table><thead><tr><th>Check</th><th>Title</th><th>Severity</th>");
    for (status, _) in STATUS_COLOURS {
        let _ = write!(html, "<th class=\"n\">{status}</th>");
    }
    html.push_str(
        "<th class=\"n\">Open</th><th class=\"n\">Excepted / baselined</th></tr></thead><tbody>\n",
    );
    for check in catalogue() {
        let rows: Vec<&ResultRow> = all_rows(report)
            .filter(|r| r.finding.check_id == check.id)
            .collect();
        let open = rows.iter().filter(|r| r.standing.is_open()).count();
        let covered = rows
            .iter()
            .filter(|r| matches!(r.standing, Standing::Excepted | Standing::Baselined))
            .count();
        let _ = write!(
            html,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td>",
            if open > 0 { " class=\"open\"" } else { "" },
            check.id,
            esc(check.title),
            check.severity
        );
        for (status, _) in STATUS_COLOURS {
            num(html, count(&rows, status));
        }
        num(html, open);
        num(html, covered);
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table>\n</section>\n");
}

fn findings(html: &mut String, report: &Report) {
    html.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n<p class=\"note\">Every FAIL, WARN, REVIEW and UNKNOWN finding, by instance and check; PASS and INFO are counted above.</p>\n");
    for (index, instance) in report.instances.iter().enumerate() {
        let _ = write!(
            html,
            "<section class=\"instance\" id=\"instance-{index}\">\n<h3><bdi>{}</bdi> <span class=\"note\">({})</span></h3>\n",
            esc(&instance.label),
            esc(&instance.target_id)
        );
        if !instance.reached {
            let _ = writeln!(
                html,
                "<p><span class=\"badge s-UNKNOWN\">NOT REACHED</span> {}</p>",
                esc(instance.reason.as_deref().unwrap_or("no reason recorded"))
            );
        }
        let mut any = false;
        for on in verdict::per_check(instance) {
            let rows = on.non_passing();
            if rows.is_empty() {
                continue;
            }
            any = true;
            let refs = references_line(on.check);
            let _ = write!(
                html,
                "<section class=\"check\">\n<h4>{} — {} <span class=\"note\">({} severity, {})</span></h4>\n",
                on.check.id,
                esc(on.check.title),
                on.check.severity,
                esc(on.check.family.title())
            );
            if !refs.is_empty() {
                let _ = writeln!(
                    html,
                    "<p class=\"refs\"><strong>References:</strong> {}</p>",
                    esc(&refs)
                );
            }
            for row in rows {
                finding(html, row);
            }
            html.push_str("</section>\n");
        }
        if !any && instance.reached {
            html.push_str("<p class=\"note\">No FAIL, WARN, REVIEW or UNKNOWN finding.</p>\n");
        }
        html.push_str("</section>\n");
    }
    html.push_str("</section>\n");
}

fn finding(html: &mut String, row: &ResultRow) {
    let f = &row.finding;
    let status = f.status.as_str();
    let _ = write!(
        html,
        "<article class=\"finding st-{status}\">\n<p><span class=\"badge s-{status}\">{status}</span> <span class=\"badge\">{}</span> <span class=\"standing\">{}</span> — {} <span class=\"entity\"><bdi>{}</bdi></span></p>\n<p class=\"message\">{}</p>\n",
        f.severity,
        row.standing.as_str(),
        esc(&f.entity_type),
        esc(&f.entity),
        esc(&f.message)
    );
    if let Some(drift) = &row.drift {
        let _ = writeln!(
            html,
            "<p class=\"drift\"><strong>Drift from the baseline:</strong> {}</p>",
            esc(drift)
        );
    }
    if !f.evidence.is_empty() {
        html.push_str("<table class=\"evidence\"><tbody>\n");
        for (key, value) in &f.evidence {
            let _ = writeln!(
                html,
                "<tr><th scope=\"row\">{}</th><td class=\"entity\"><bdi>{}</bdi></td></tr>",
                esc(key),
                esc(value)
            );
        }
        html.push_str("</tbody></table>\n");
    }
    if let Some(note) = &row.note {
        let fields = [
            ("Review status", &note.review_status),
            ("Justification", &note.justification),
            ("Notes", &note.notes),
        ];
        if fields.iter().any(|(_, v)| v.is_some()) {
            html.push_str("<dl class=\"meta annotation\">");
            for (term, value) in fields {
                if let Some(value) = value {
                    let _ = write!(html, "<dt>{term}</dt><dd><bdi>{}</bdi></dd>", esc(value));
                }
            }
            html.push_str("</dl>\n");
        }
    }
    let _ = writeln!(
        html,
        "<p class=\"fingerprint\">fingerprint {}</p>\n</article>",
        esc(&row.fingerprint)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_both_quotes() {
        assert_eq!(
            esc("<script>alert('x\"')</script> & co"),
            "&lt;script&gt;alert(&#39;x&quot;&#39;)&lt;/script&gt; &amp; co"
        );
    }
}

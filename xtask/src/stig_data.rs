//! `cargo xtask stig-data --from DIR`: writes `crates/audit-core/data/stig_benchmarks.json`, the
//! DISA STIG rules the checklists list (`audit_core::stig`), from the public sources named in
//! `xtask/assets/stig_sources.json`, so that the next STIG release is one command.
//!
//! The manifest lists each benchmark: the file or folder under DIR, its format, what it applies
//! to and where it came from (`owner/repo @ commit : path`, copied into the data file). Two
//! formats are read:
//!
//! - `xccdf`: DISA's XCCDF 1.1 benchmark (`U_MS_SQL_Server_…_Manual-xccdf.xml`): `Benchmark@id`,
//!   `title`, `version`, `plain-text id="release-info"`, and per `Group`: its id and title, the
//!   `Rule`'s id, severity, weight, `version`, `title`, CCI idents (`http://cyber.mil/cci`, or
//!   the older `http://iase.disa.mil/cci`) and legacy idents (`http://cyber.mil/legacy`);
//! - `inspec`: a MITRE SAF InSpec profile of a STIG release (used where DISA's XCCDF is not in a
//!   public repository we can cite): per `controls/*.rb`, the first `title '…'` and the tags
//!   `severity`, `gid`, `rid`, `stig_id`, `gtitle`, `cci`, `legacy`; the benchmark's id, title,
//!   version and release come from the manifest (InSpec does not carry them all). InSpec drops
//!   the weight; DISA weighs every rule 10.0, which is what is written.
//!
//! Check and fix text are not kept: the checklists point to the STIG for them.
//!
//! To refresh: fetch the sources (`github:microsoft/PowerStig`,
//! `github:mitre/microsoft-sql-server-20XX-database-stig-baseline`), put the XCCDF files and
//! profile folders under one DIR as the manifest names them, update the manifest's commits and
//! file names, run the command, and run `cargo test -p audit-core stig` (rule counts, and every
//! STIG id the catalogue references must still exist).

use std::fs;
use std::path::{Path, PathBuf};

use audit_core::stig::{Benchmark, Rule, StigKind, StigSeverity};
use clap::Args;
use quick_xml::events::Event;
use serde::Deserialize;

use crate::util::{self, Result};

/// The manifest, relative to the workspace root.
const MANIFEST: &str = "xtask/assets/stig_sources.json";
/// The generated file, relative to the workspace root.
const OUTPUT: &str = "crates/audit-core/data/stig_benchmarks.json";
/// What the data file says produced it.
const GENERATED_BY: &str = "cargo xtask stig-data --from DIR (xtask/src/stig_data.rs; sources and their commits in xtask/assets/stig_sources.json); do not edit by hand";

/// Options of `cargo xtask stig-data`.
#[derive(Debug, Args)]
pub struct StigDataArgs {
    /// The folder holding the XCCDF files and InSpec profiles the manifest names.
    #[arg(long)]
    pub from: PathBuf,
    /// The manifest (default: xtask/assets/stig_sources.json).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
}

/// The manifest's shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    benchmarks: Vec<Source>,
}

/// One benchmark's source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    /// File (xccdf) or folder (inspec) under `--from`.
    path: String,
    /// `xccdf` or `inspec`.
    format: String,
    kind: StigKind,
    applies_to: String,
    /// `owner/repo @ commit : path`.
    source: String,
    /// For `inspec`: what the profile does not carry.
    id: Option<String>,
    title: Option<String>,
    version: Option<u32>,
    release_info: Option<String>,
}

/// Reads every source and writes the data file.
pub fn run(args: &StigDataArgs) -> Result<()> {
    let root = util::workspace_root();
    let manifest_path = args.manifest.clone().unwrap_or_else(|| root.join(MANIFEST));
    let text = fs::read_to_string(&manifest_path)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let mut benchmarks = Vec::new();
    for source in &manifest.benchmarks {
        let path = args.from.join(&source.path);
        let benchmark = match source.format.as_str() {
            "xccdf" => {
                let xml =
                    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let mut b = parse_xccdf(&xml).map_err(|e| format!("{}: {e}", path.display()))?;
                b.kind = source.kind;
                b.applies_to.clone_from(&source.applies_to);
                b.source.clone_from(&source.source);
                b
            }
            "inspec" => read_inspec(&path, source)?,
            other => return Err(format!("{}: unknown format `{other}`", source.path)),
        };
        println!(
            "{}: {} {} ({} rules)",
            source.path,
            benchmark.id,
            benchmark.release_label(),
            benchmark.rules.len()
        );
        benchmarks.push(benchmark);
    }
    let json = render(&benchmarks)?;
    let out = root.join(OUTPUT);
    fs::write(&out, json).map_err(|e| format!("{OUTPUT}: {e}"))?;
    println!("wrote {OUTPUT}");
    Ok(())
}

/// The data file: one benchmark field per line, one rule per line, so a new release's diff
/// reads rule by rule.
fn render(benchmarks: &[Benchmark]) -> Result<String> {
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"generated_by\": {},\n", json(GENERATED_BY)?));
    out.push_str("  \"benchmarks\": [\n");
    for (i, b) in benchmarks.iter().enumerate() {
        out.push_str("    {\n");
        out.push_str(&format!("      \"id\": {},\n", json(&b.id)?));
        out.push_str(&format!("      \"title\": {},\n", json(&b.title)?));
        out.push_str(&format!("      \"version\": {},\n", b.version));
        out.push_str(&format!(
            "      \"release_info\": {},\n",
            json(&b.release_info)?
        ));
        out.push_str(&format!("      \"kind\": {},\n", json(&b.kind)?));
        out.push_str(&format!(
            "      \"applies_to\": {},\n",
            json(&b.applies_to)?
        ));
        out.push_str(&format!("      \"source\": {},\n", json(&b.source)?));
        out.push_str("      \"rules\": [\n");
        for (j, r) in b.rules.iter().enumerate() {
            let comma = if j + 1 < b.rules.len() { "," } else { "" };
            out.push_str(&format!("        {}{comma}\n", json(r)?));
        }
        out.push_str("      ]\n");
        out.push_str(if i + 1 < benchmarks.len() {
            "    },\n"
        } else {
            "    }\n"
        });
    }
    out.push_str("  ]\n}\n");
    Ok(out)
}

/// A value as one line of JSON.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

/// Parses a DISA XCCDF 1.1 benchmark. `kind`, `applies_to` and `source` are left for the
/// caller (the manifest says them).
fn parse_xccdf(xml: &str) -> Result<Benchmark> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut benchmark = Benchmark {
        id: String::new(),
        title: String::new(),
        version: 0,
        release_info: String::new(),
        kind: StigKind::Instance,
        applies_to: String::new(),
        source: String::new(),
        rules: Vec::new(),
    };
    let mut group: Option<(String, String)> = None; // id, title
    let mut rule: Option<Rule> = None;
    let mut ident_system = String::new();
    let mut plain_text_id = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_owned();
                let attr = |key: &str| -> Result<Option<String>> {
                    for a in start.attributes() {
                        let a = a.map_err(|e| e.to_string())?;
                        if a.key.local_name().as_ref() == key {
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map_err(|e| e.to_string())?;
                            return Ok(Some(v.into_owned()));
                        }
                    }
                    Ok(None)
                };
                match (path.len(), name.as_str()) {
                    (0, "Benchmark") => benchmark.id = attr("id")?.unwrap_or_default(),
                    (1, "Group") => group = Some((attr("id")?.unwrap_or_default(), String::new())),
                    (2, "Rule") if path[1] == "Group" => {
                        let severity = match attr("severity")?.as_deref() {
                            Some("high") => StigSeverity::High,
                            Some("medium") => StigSeverity::Medium,
                            Some("low") => StigSeverity::Low,
                            other => return Err(format!("rule severity {other:?}")),
                        };
                        let weight = attr("weight")?
                            .unwrap_or_else(|| "10.0".into())
                            .parse::<f64>()
                            .map_err(|e| format!("rule weight: {e}"))?;
                        rule = Some(Rule {
                            group_id: String::new(),
                            rule_id: attr("id")?.unwrap_or_default(),
                            version: String::new(),
                            severity,
                            title: String::new(),
                            group_title: String::new(),
                            weight,
                            ccis: Vec::new(),
                            legacy_ids: Vec::new(),
                        });
                    }
                    (3, "ident") => ident_system = attr("system")?.unwrap_or_default(),
                    (1, "plain-text") => plain_text_id = attr("id")?.unwrap_or_default(),
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    text.push_str(s);
                } else {
                    return Err(format!("unknown entity &{};", &*r));
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let value = text.trim().to_owned();
                match (path.len(), name.as_str()) {
                    (1, "title") => benchmark.title = value,
                    (1, "version") => {
                        benchmark.version = value
                            .parse()
                            .map_err(|e| format!("benchmark version `{value}`: {e}"))?;
                    }
                    (1, "plain-text") if plain_text_id == "release-info" => {
                        benchmark.release_info = value;
                    }
                    (2, "title") if path[1] == "Group" => {
                        if let Some(g) = group.as_mut() {
                            g.1 = value;
                        }
                    }
                    (3, "version") if path[2] == "Rule" => {
                        if let Some(r) = rule.as_mut() {
                            r.version = value;
                        }
                    }
                    (3, "title") if path[2] == "Rule" => {
                        if let Some(r) = rule.as_mut() {
                            r.title = value;
                        }
                    }
                    (3, "ident") => {
                        if let Some(r) = rule.as_mut() {
                            match ident_system.as_str() {
                                "http://cyber.mil/cci" | "http://iase.disa.mil/cci" => {
                                    r.ccis.push(value);
                                }
                                "http://cyber.mil/legacy" => r.legacy_ids.push(value),
                                _ => {}
                            }
                        }
                    }
                    (2, "Rule") => {
                        let (gid, gtitle) = group.clone().ok_or("a Rule outside a Group")?;
                        let mut r = rule.take().ok_or("a Rule end without its start")?;
                        r.group_id = gid;
                        r.group_title = gtitle;
                        benchmark.rules.push(r);
                    }
                    (1, "Group") => group = None,
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if benchmark.id.is_empty() || benchmark.release_info.is_empty() || benchmark.rules.is_empty() {
        return Err("not a DISA XCCDF benchmark (no id, release-info or rules)".into());
    }
    Ok(benchmark)
}

/// Reads a MITRE SAF InSpec profile's controls.
fn read_inspec(dir: &Path, source: &Source) -> Result<Benchmark> {
    let needed = |field: &Option<String>, name: &str| {
        field
            .clone()
            .ok_or_else(|| format!("{}: an inspec source needs `{name}`", source.path))
    };
    let controls = dir.join("controls");
    let mut files: Vec<PathBuf> = fs::read_dir(&controls)
        .map_err(|e| format!("{}: {e}", controls.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rb"))
        .collect();
    files.sort();
    let mut rules = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        rules.push(parse_control(&text).map_err(|e| format!("{}: {e}", file.display()))?);
    }
    // DISA orders a benchmark's groups by their number.
    rules.sort_by_key(|r: &Rule| {
        r.group_id
            .trim_start_matches("V-")
            .parse::<u64>()
            .unwrap_or(u64::MAX)
    });
    Ok(Benchmark {
        id: needed(&source.id, "id")?,
        title: needed(&source.title, "title")?,
        version: source
            .version
            .ok_or_else(|| format!("{}: an inspec source needs `version`", source.path))?,
        release_info: needed(&source.release_info, "release_info")?,
        kind: source.kind,
        applies_to: source.applies_to.clone(),
        source: source.source.clone(),
        rules,
    })
}

/// One InSpec control: its first `title '…'` and its STIG tags.
fn parse_control(text: &str) -> Result<Rule> {
    let mut title = None;
    let tag = |name: &str| -> Option<String> {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("tag ")?.strip_prefix(name)?;
            Some(rest.strip_prefix(':')?.trim().to_owned())
        })
    };
    let severity = match tag("severity").as_deref().map(ruby_string) {
        Some(Ok(s)) if s == "high" => StigSeverity::High,
        Some(Ok(s)) if s == "medium" => StigSeverity::Medium,
        Some(Ok(s)) if s == "low" => StigSeverity::Low,
        other => return Err(format!("severity {other:?}")),
    };
    let one = |value: Option<String>, name: &str| -> Result<String> {
        ruby_string(&value.ok_or_else(|| format!("no `tag {name}:`"))?)
    };
    let rule = Rule {
        group_id: one(tag("gid"), "gid")?,
        rule_id: one(tag("rid"), "rid")?,
        version: one(tag("stig_id"), "stig_id")?,
        severity,
        title: String::new(),
        group_title: one(tag("gtitle"), "gtitle")?,
        weight: 10.0,
        ccis: tag("cci")
            .map(|v| ruby_list(&v))
            .transpose()?
            .unwrap_or_default(),
        legacy_ids: tag("legacy")
            .map(|v| ruby_list(&v))
            .transpose()?
            .unwrap_or_default(),
    };
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("title ") {
            title = Some(ruby_string(rest)?);
            break;
        }
    }
    Ok(Rule {
        title: title.ok_or("no title")?,
        ..rule
    })
}

/// A one-line Ruby string literal, single- or double-quoted (`\\`, `\'`, `\"` unescaped).
fn ruby_string(literal: &str) -> Result<String> {
    let literal = literal.trim();
    let quote = literal
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or_else(|| format!("not a string literal: {literal}"))?;
    let mut out = String::new();
    let mut chars = literal[1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if n == quote || n == '\\' => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => return Err(format!("unterminated string: {literal}")),
            },
            c if c == quote => return Ok(out),
            c => out.push(c),
        }
    }
    Err(format!(
        "unterminated string (multi-line titles are not read): {literal}"
    ))
}

/// A one-line Ruby array of string literals: `['CCI-000015', 'CCI-000016']`.
fn ruby_list(literal: &str) -> Result<Vec<String>> {
    let inner = literal
        .trim()
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| format!("not an array: {literal}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(ruby_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xccdf_rules_are_read_with_their_group_idents_and_entities() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><Benchmark xmlns="http://checklists.nist.gov/xccdf/1.1" id="X_STIG"><title>X &amp; Y Guide</title><plain-text id="release-info">Release: 2 Benchmark Date: 01 Jan 2026</plain-text><plain-text id="generator">3</plain-text><version>4</version>
<Group id="V-1"><title>SRG-APP-1</title><description>&lt;GroupDescription&gt;&lt;/GroupDescription&gt;</description>
<Rule id="SV-1r2_rule" weight="10.0" severity="high"><version>X-000100</version><title>Must not say &quot;no&quot; &#x2014; ever.</title><description>d</description>
<ident system="http://cyber.mil/legacy">V-9</ident><ident system="http://cyber.mil/cci">CCI-000015</ident></Rule></Group></Benchmark>"#;
        let b = parse_xccdf(xml).unwrap();
        assert_eq!(b.id, "X_STIG");
        assert_eq!(b.title, "X & Y Guide");
        assert_eq!(b.version, 4);
        assert_eq!(b.release_info, "Release: 2 Benchmark Date: 01 Jan 2026");
        assert_eq!(b.rules.len(), 1);
        let r = &b.rules[0];
        assert_eq!(
            (r.group_id.as_str(), r.rule_id.as_str(), r.version.as_str()),
            ("V-1", "SV-1r2_rule", "X-000100")
        );
        assert_eq!(r.title, "Must not say \"no\" \u{2014} ever.");
        assert_eq!(r.group_title, "SRG-APP-1");
        assert_eq!(r.severity, StigSeverity::High);
        assert_eq!(r.ccis, ["CCI-000015"]);
        assert_eq!(r.legacy_ids, ["V-9"]);
    }

    #[test]
    fn inspec_controls_are_read_from_their_tags() {
        let rb = "control 'SV-271118' do\n  title 'SQL Server\\'s \"auth\" must integrate.'\n  desc 'x'\n  impact 0.7\n  tag severity: 'high'\n  tag gid: 'V-271118'\n  tag rid: 'SV-271118r1107970_rule'\n  tag stig_id: 'SQLD-22-000100'\n  tag gtitle: 'SRG-APP-000023-DB-000001'\n  tag legacy: ['SV-93767', 'V-79061']\n  tag cci: ['CCI-000015']\nend\n";
        let r = parse_control(rb).unwrap();
        assert_eq!(r.title, "SQL Server's \"auth\" must integrate.");
        assert_eq!(r.group_id, "V-271118");
        assert_eq!(r.rule_id, "SV-271118r1107970_rule");
        assert_eq!(r.version, "SQLD-22-000100");
        assert_eq!(r.severity, StigSeverity::High);
        assert_eq!(r.ccis, ["CCI-000015"]);
        assert_eq!(r.legacy_ids, ["SV-93767", "V-79061"]);
        assert!(parse_control("control 'x' do\nend").is_err());
    }
}

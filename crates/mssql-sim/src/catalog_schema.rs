//! Which catalog views, DMVs and `msdb` tables exist on which version, with their documented
//! columns: the data files in `crates/mssql-sim/catalog/*.toml`, one per group of objects,
//! each definition naming the learn.microsoft.com page it was taken from.
//!
//! This is the single source: the engine creates its tables from it ([`crate::engine`]'s
//! catalog), and the conformance test (`tests/catalog_conformance.rs`) checks over TDS that
//! `SELECT TOP 0 *` of every object answers with exactly these columns on every version.
//!
//! A column line is `name type [not null] [= default] [@since] [@-until]`: `@2012` from that
//! release on, `@-2012` up to (not including) it, `@2012SP4|2014SP3|2016SP1` from that build in
//! each of those releases and in every later release (a feature shipped in several releases'
//! service packs). Version tags: `2008`, `2008R2`, `2008R2SP1`, `2012`…`2012SP4`, `2014`…
//! `2014SP3`, `2016`, `2016SP1`, `2016SP2`, `2017`, `2019`, `2022`, `2025`, or a build
//! `13.0.4001`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::instance::Version;

/// The data files, in the order their objects are created.
const FILES: &[(&str, &str)] = &[
    ("security.toml", include_str!("../catalog/security.toml")),
    ("server.toml", include_str!("../catalog/server.toml")),
    (
        "endpoints-host.toml",
        include_str!("../catalog/endpoints-host.toml"),
    ),
    ("databases.toml", include_str!("../catalog/databases.toml")),
    (
        "securables.toml",
        include_str!("../catalog/securables.toml"),
    ),
    ("msdb.toml", include_str!("../catalog/msdb.toml")),
];

/// Where an object's rows live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// `sys.x`: one row set per instance, the same from every database.
    Server,
    /// `Db.sys.x`: each database has its own rows.
    Database,
    /// `msdb.dbo.x`.
    Msdb,
}

/// When something exists: from a version on (in every later release), optionally until a
/// version (where it was removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applies {
    /// The first build in each release that has it (one entry for most things; several for a
    /// feature shipped in service packs of several releases). Empty: every version.
    pub since: Vec<Version>,
    /// The first version that no longer has it.
    pub until: Option<Version>,
}

impl Applies {
    /// Whether it exists on `version`.
    pub fn on(&self, version: Version) -> bool {
        let since = match self.since.iter().map(|v| v.major).max() {
            None => true,
            Some(last) => {
                version.major > last
                    || self
                        .since
                        .iter()
                        .any(|s| s.major == version.major && version >= *s)
            }
        };
        since && self.until.is_none_or(|until| version < until)
    }
}

/// A literal default: the value a fresh installation has where the fixture says nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// One documented column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its T-SQL type as the docs write it (`sysname`, `nvarchar(60)`, `datetimeoffset(7)`).
    pub sql_type: String,
    /// The docs say it is never NULL.
    pub not_null: bool,
    /// A fresh installation's value.
    pub default: Option<Literal>,
    /// The versions that have it.
    pub applies: Applies,
}

/// One catalog view, DMV or `msdb` table.
#[derive(Debug, Clone)]
pub struct Object {
    /// As queried: `sys.server_principals`, `msdb.dbo.sysjobs`.
    pub name: String,
    /// Where its rows live.
    pub scope: Scope,
    /// The versions that have it.
    pub applies: Applies,
    /// The docs page its definition was taken from.
    pub docs: String,
    /// Every documented column, in `SELECT *` order (filter with [`Object::columns_on`]).
    pub columns: Vec<Column>,
    /// Rows every installation has (the system endpoints), by column name, each with the
    /// versions that have it.
    pub rows: Vec<(Applies, BTreeMap<String, Literal>)>,
    /// The data file it comes from.
    pub file: &'static str,
}

impl Object {
    /// The name without its schema (`server_principals`): the engine's table name.
    pub fn table(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// The columns `version` has, in order.
    pub fn columns_on(&self, version: Version) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(move |c| c.applies.on(version))
    }
}

/// Every object of every data file, parsed once per process.
pub fn objects() -> &'static [Object] {
    static OBJECTS: LazyLock<Vec<Object>> = LazyLock::new(|| match parse_all() {
        Ok(objects) => objects,
        // The files are compiled in and checked by the unit tests below: a mistake in them is
        // a build defect, never a user's input.
        Err(e) => panic!("catalog data: {e}"),
    });
    &OBJECTS
}

/// The objects `version` has.
pub fn objects_on(version: Version) -> impl Iterator<Item = &'static Object> {
    objects().iter().filter(move |o| o.applies.on(version))
}

/// Where the listing of [`markdown`] is kept, relative to the workspace root.
pub const LISTING: &str = "docs/simulator-catalog.md";

/// A version's name in the listing: `2008 R2`, `2016 SP1`, `2012 SP4 / 2014 SP3 / 2016 SP1`.
fn release(version: &Version) -> String {
    let name = match (version.major, version.minor) {
        (10, 0) => "2008",
        (10, _) => "2008 R2",
        (11, _) => "2012",
        (12, _) => "2014",
        (13, _) => "2016",
        (14, _) => "2017",
        (15, _) => "2019",
        (16, _) => "2022",
        (17, _) => "2025",
        _ => return version.to_string(),
    };
    let service_pack = match (version.major, version.minor, version.build) {
        (_, _, 0) => None,
        (10, 50, 2500) | (11, _, 3000) | (12, _, 4100) | (13, _, 4001) => Some("SP1"),
        (11, _, 5058) | (12, _, 5000) | (13, _, 5026) => Some("SP2"),
        (11, _, 6020) | (12, _, 6024) => Some("SP3"),
        (11, _, 7001) => Some("SP4"),
        _ => return format!("{name} (build {version})"),
    };
    match service_pack {
        Some(sp) => format!("{name} {sp}"),
        None => name.to_owned(),
    }
}

/// When something exists, in words: `every version`, `2016 and later`, `until 2012`.
fn applies_text(applies: &Applies) -> String {
    let since = match applies.since.as_slice() {
        [] => None,
        [v] if *v == Version::new(10, 0, 0, 0) => None,
        list => Some(list.iter().map(release).collect::<Vec<_>>().join(" / ")),
    };
    match (since, applies.until) {
        (None, None) => "every version".into(),
        (Some(since), None) => format!("{since} and later"),
        (None, Some(until)) => format!("before {}", release(&until)),
        (Some(since), Some(until)) => format!("{since} to before {}", release(&until)),
    }
}

/// The listing of every object (the file [`LISTING`], printed by `mssql-sim
/// --catalog-listing`): which versions have it, its columns, the ones that came or went with
/// a version, and its docs page. A unit test keeps the committed file equal to it.
pub fn markdown() -> String {
    let mut out = String::from(
        "<!-- Generated by `mssql-sim --catalog-listing` from crates/mssql-sim/catalog/*.toml: \
         edit those, not this file. -->\n\n# The simulator's catalog, per version\n\n\
         Every catalog view, dynamic management view and `msdb` table the simulator has, from \
         the data files in `crates/mssql-sim/catalog/` (each object's columns, types, \
         nullability and \"applies to\" as its page on learn.microsoft.com documents them). An \
         object a version lacks answers 208 (`Invalid object name`), a column it lacks 207. \
         `tests/catalog_conformance.rs` checks over TDS, for every version, that `SELECT TOP 0 *` \
         of each object returns exactly these columns.\n\n\
         | object | rows | versions | columns | columns that came or went with a version | docs |\n\
         |---|---|---|---|---|---|\n",
    );
    for o in objects() {
        let changed: Vec<String> = o
            .columns
            .iter()
            .filter(|c| !c.applies.since.is_empty() || c.applies.until.is_some())
            .map(|c| format!("`{}` ({})", c.name, applies_text(&c.applies)))
            .collect();
        let rows = match o.scope {
            Scope::Server => "per instance",
            Scope::Database => "per database",
            Scope::Msdb => "msdb",
        };
        out.push_str(&format!(
            "| `{}` | {rows} | {} | {} | {} | [page]({}) |\n",
            o.name,
            applies_text(&o.applies),
            o.columns.len(),
            if changed.is_empty() {
                "—".into()
            } else {
                changed.join(", ")
            },
            o.docs
        ));
    }
    out
}

/// One object as the data file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObject {
    name: String,
    scope: Scope,
    since: Option<String>,
    until: Option<String>,
    docs: String,
    #[allow(dead_code)] // for the reader of the file
    note: Option<String>,
    columns: Vec<String>,
    #[serde(default)]
    rows: Vec<BTreeMap<String, toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    object: Vec<RawObject>,
}

fn parse_all() -> Result<Vec<Object>, String> {
    let mut objects: Vec<Object> = Vec::new();
    for (file, text) in FILES {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for o in raw.object {
            let at = |what: String| format!("{file}, {}: {what}", o.name);
            if objects.iter().any(|p| p.table() == short(&o.name)) {
                return Err(at("defined twice (table names are unique)".into()));
            }
            let columns = o
                .columns
                .iter()
                .map(|c| column(c).map_err(|e| at(format!("column `{c}`: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let mut rows = Vec::new();
            for row in &o.rows {
                let mut values = BTreeMap::new();
                let mut applies = Applies {
                    since: Vec::new(),
                    until: None,
                };
                for (key, value) in row {
                    match (key.as_str(), value) {
                        ("since", toml::Value::String(v)) => {
                            applies.since = versions(v).map_err(at)?
                        }
                        ("until", toml::Value::String(v)) => {
                            applies.until = Some(version(v).map_err(at)?)
                        }
                        _ if !columns.iter().any(|c| c.name == *key) => {
                            return Err(at(format!("a row names the unknown column {key}")));
                        }
                        (_, toml::Value::Integer(i)) => {
                            values.insert(key.clone(), Literal::Int(*i));
                        }
                        (_, toml::Value::Boolean(b)) => {
                            values.insert(key.clone(), Literal::Int(i64::from(*b)));
                        }
                        (_, toml::Value::String(s)) => {
                            values.insert(key.clone(), Literal::Text(s.clone()));
                        }
                        _ => return Err(at(format!("row value of {key} is not a literal"))),
                    }
                }
                rows.push((applies, values));
            }
            objects.push(Object {
                applies: Applies {
                    since: match &o.since {
                        Some(v) => versions(v).map_err(at)?,
                        None => Vec::new(),
                    },
                    until: o.until.as_deref().map(version).transpose().map_err(at)?,
                },
                scope: o.scope,
                docs: o.docs,
                columns,
                rows,
                file,
                name: o.name,
            });
        }
    }
    Ok(objects)
}

fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// A version tag (see the module's documentation).
fn version(tag: &str) -> Result<Version, String> {
    let v = |major, minor, build| Version::new(major, minor, build, 0);
    Ok(match tag {
        "2008" => v(10, 0, 0),
        "2008R2" => v(10, 50, 0),
        "2008R2SP1" => v(10, 50, 2500),
        "2012" => v(11, 0, 0),
        "2012SP1" => v(11, 0, 3000),
        "2012SP2" => v(11, 0, 5058),
        "2012SP3" => v(11, 0, 6020),
        "2012SP4" => v(11, 0, 7001),
        "2014" => v(12, 0, 0),
        "2014SP1" => v(12, 0, 4100),
        "2014SP2" => v(12, 0, 5000),
        "2014SP3" => v(12, 0, 6024),
        "2016" => v(13, 0, 0),
        "2016SP1" => v(13, 0, 4001),
        "2016SP2" => v(13, 0, 5026),
        "2017" => v(14, 0, 0),
        "2019" => v(15, 0, 0),
        "2022" => v(16, 0, 0),
        "2025" => v(17, 0, 0),
        build => {
            let parts: Vec<&str> = build.split('.').collect();
            let n = |i: usize| parts.get(i).map_or(Ok(0), |p| p.parse::<u16>());
            match (parts.len(), n(0), n(1), n(2), n(3)) {
                (3 | 4, Ok(major), Ok(minor), Ok(b), Ok(r)) => {
                    Version::new(major as u8, minor as u8, b, r)
                }
                _ => return Err(format!("unknown version tag `{tag}`")),
            }
        }
    })
}

/// `2012SP4|2014SP3|2016SP1`.
fn versions(tags: &str) -> Result<Vec<Version>, String> {
    tags.split('|').map(|t| version(t.trim())).collect()
}

/// Parses one column line.
fn column(line: &str) -> Result<Column, String> {
    let mut rest = line.trim();
    let mut word = || -> Option<String> {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        // A quoted literal is one word, spaces included.
        let end = if let Some(body) = rest.strip_prefix('\'') {
            body.find('\'').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        let (w, r) = rest.split_at(end);
        rest = r;
        Some(w.to_owned())
    };
    let name = word().ok_or("no name")?;
    let sql_type = word().ok_or("no type")?.to_ascii_lowercase();
    let mut column = Column {
        name,
        sql_type,
        not_null: false,
        default: None,
        applies: Applies {
            since: Vec::new(),
            until: None,
        },
    };
    while let Some(w) = word() {
        match w.as_str() {
            "not" => match word().as_deref() {
                Some("null") => column.not_null = true,
                _ => return Err("`not` without `null`".into()),
            },
            "null" => column.not_null = false,
            "=" => {
                let value = word().ok_or("`=` without a value")?;
                column.default = Some(if value.eq_ignore_ascii_case("null") {
                    Literal::Null
                } else if let Some(text) = value.strip_prefix('\'') {
                    Literal::Text(text.strip_suffix('\'').ok_or("unclosed quote")?.into())
                } else {
                    Literal::Int(value.parse().map_err(|_| format!("bad default {value}"))?)
                });
            }
            w if w.starts_with("@-") => column.applies.until = Some(version(&w[2..])?),
            w if w.starts_with('@') => column.applies.since = versions(&w[1..])?,
            other => return Err(format!("unexpected `{other}`")),
        }
    }
    Ok(column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_file_parses_and_names_each_column_once() {
        let objects = objects();
        assert!(objects.len() > 100, "{}", objects.len());
        for o in objects {
            assert!(
                o.docs.starts_with("https://learn.microsoft.com/"),
                "{}",
                o.name
            );
            let mut seen = std::collections::HashSet::new();
            for c in &o.columns {
                // A column removed in one release and a namesake added later may share a name;
                // two live at once may not.
                let live: Vec<_> = o.columns.iter().filter(|d| d.name == c.name).collect();
                if live.len() > 1 {
                    for v in [10, 11, 12, 13, 14, 15, 16, 17] {
                        let v = Version::new(v, 0, 9999, 0);
                        assert!(
                            live.iter().filter(|d| d.applies.on(v)).count() <= 1,
                            "{}.{}",
                            o.name,
                            c.name
                        );
                    }
                }
                seen.insert(&c.name);
            }
        }
    }

    /// Every type is one T-SQL has, within its limits (nvarchar/nchar n ≤ 4,000; varchar,
    /// char, varbinary, binary n ≤ 8,000: the data type pages of learn.microsoft.com).
    #[test]
    fn every_column_has_a_valid_t_sql_type() {
        for o in objects() {
            for c in &o.columns {
                let (base, args) = c.sql_type.split_once('(').unwrap_or((&c.sql_type, ""));
                let n = args.trim_end_matches(')').split(',').next().unwrap_or("");
                let limit = match base {
                    "nvarchar" | "nchar" => 4000,
                    "varchar" | "char" | "varbinary" | "binary" => 8000,
                    _ => continue,
                };
                assert!(
                    n == "max" || n.parse::<u32>().is_ok_and(|n| (1..=limit).contains(&n)),
                    "{}.{}: {}",
                    o.name,
                    c.name,
                    c.sql_type
                );
            }
        }
    }

    /// docs/simulator-catalog.md is what the data generates (`mssql-sim --catalog-listing >
    /// docs/simulator-catalog.md` writes it).
    #[test]
    fn the_committed_listing_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(LISTING);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == markdown(),
            "{LISTING} is not what crates/mssql-sim/catalog/*.toml generates: run \
             `cargo run -p mssql-sim -- --catalog-listing > {LISTING}` and commit it"
        );
    }

    #[test]
    fn column_lines_parse_with_defaults_and_versions() {
        let c = column("page_verify_option_desc nvarchar(60) not null = 'CHECKSUM' @2012").unwrap();
        assert_eq!(c.sql_type, "nvarchar(60)");
        assert!(c.not_null);
        assert_eq!(c.default, Some(Literal::Text("CHECKSUM".into())));
        assert!(!c.applies.on(Version::new(10, 50, 6000, 34)));
        assert!(c.applies.on(Version::new(11, 0, 2100, 60)));
        let c = column("label nvarchar(10) = 'a b c' @-2012").unwrap();
        assert_eq!(c.default, Some(Literal::Text("a b c".into())));
        assert!(c.applies.on(Version::new(10, 50, 6000, 34)));
        assert!(!c.applies.on(Version::new(11, 0, 0, 0)));
        assert!(column("x int @2031").is_err());
        assert!(column("x int frob").is_err());
    }

    #[test]
    fn a_feature_of_several_service_packs_exists_from_each_and_later() {
        let c = column("ifi nvarchar(1) @2012SP4|2014SP3|2016SP1").unwrap();
        let on = |ma, b| c.applies.on(Version::new(ma, 0, b, 0));
        assert!(!on(11, 6020) && on(11, 7001));
        assert!(!on(12, 5000) && on(12, 6024));
        assert!(!on(13, 1601) && on(13, 4001));
        assert!(on(14, 1000) && on(16, 1000));
        assert!(!c.applies.on(Version::new(10, 50, 6000, 34)));
    }
}

//! Dates in fixtures, absolute (`2024-01-05`, `2024-01-05 10:00:00`) or relative to the moment
//! the instance starts (`-30d`, `-12h`, `+365d`, `now`), so that fixtures do not age: a
//! database "not backed up for 30 days" stays so whenever the tests run.

use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// A point in time as a fixture writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct When(String);

impl When {
    /// The current moment, written absolutely (for dates the simulator records itself, e.g. a
    /// BACKUP DATABASE).
    pub fn now() -> When {
        When(format_datetime(now()))
    }

    /// The moment `text` stands for, relative offsets counted from `anchor`.
    pub fn resolve(&self, anchor: PrimitiveDateTime) -> PrimitiveDateTime {
        parse(&self.0, anchor).unwrap_or(anchor)
    }

    /// As SQL Server's `datetime` text form, `YYYY-MM-DD hh:mm:ss.fff`.
    pub fn to_datetime(&self, anchor: PrimitiveDateTime) -> String {
        format_datetime(self.resolve(anchor))
    }
}

impl TryFrom<String> for When {
    type Error = String;
    fn try_from(text: String) -> Result<When, String> {
        match parse(&text, now()) {
            Some(_) => Ok(When(text)),
            None => Err(format!(
                "date `{text}` is not understood; write `2024-01-05`, `2024-01-05 10:00:00`, `now`, or an offset from now such as `-30d`, `-12h`, `+365d`"
            )),
        }
    }
}

impl From<When> for String {
    fn from(w: When) -> String {
        w.0
    }
}

/// Now, in UTC, to the millisecond.
pub fn now() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_millisecond(now.millisecond()).unwrap_or(now);
    PrimitiveDateTime::new(now.date(), now.time())
}

/// SQL Server's `datetime` text form.
pub fn format_datetime(at: PrimitiveDateTime) -> String {
    let f =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]");
    at.format(&f).unwrap_or_default()
}

fn parse(text: &str, anchor: PrimitiveDateTime) -> Option<PrimitiveDateTime> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Some(anchor);
    }
    if let Some(sign) = text.chars().next().filter(|c| *c == '-' || *c == '+') {
        let body = &text[1..];
        let unit = body.chars().last()?;
        let amount: i64 = body[..body.len() - unit.len_utf8()].parse().ok()?;
        let span = match unit {
            'd' => Duration::days(amount),
            'h' => Duration::hours(amount),
            'm' => Duration::minutes(amount),
            's' => Duration::seconds(amount),
            _ => return None,
        };
        return Some(if sign == '-' {
            anchor - span
        } else {
            anchor + span
        });
    }
    let full = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let with_ms = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    let day = format_description!("[year]-[month]-[day]");
    PrimitiveDateTime::parse(text, &with_ms)
        .or_else(|_| PrimitiveDateTime::parse(text, &full))
        .ok()
        .or_else(|| {
            time::Date::parse(text, &day)
                .ok()
                .map(|d| PrimitiveDateTime::new(d, time::Time::MIDNIGHT))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_dates() {
        let anchor = parse("2026-01-31 12:00:00", now()).unwrap();
        let at = |t: &str| format_datetime(When::try_from(t.to_owned()).unwrap().resolve(anchor));
        assert_eq!(at("-30d"), "2026-01-01 12:00:00.000");
        assert_eq!(at("+12h"), "2026-02-01 00:00:00.000");
        assert_eq!(at("2024-01-05"), "2024-01-05 00:00:00.000");
        assert_eq!(at("now"), "2026-01-31 12:00:00.000");
        assert!(
            When::try_from("-30x".to_owned())
                .unwrap_err()
                .contains("-30d")
        );
        assert!(When::try_from("yesterday".to_owned()).is_err());
    }
}

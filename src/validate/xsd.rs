//! Literal checks: whether a lexical form is valid for its datatype
//! (`sh:datatype`) and how two literals order (`sh:minInclusive` and the
//! other range components, `sh:lessThan`).

use super::vocab::{RDF_LANG_STRING, XSD};
#[cfg(test)]
use oxrdf::Literal;
use oxrdf::{LiteralRef, TermRef};
use oxsdatatypes::{
    Date, DateTime, DayTimeDuration, Decimal, Duration, GDay, GMonth, GMonthDay, GYear, GYearMonth,
    Time, YearMonthDuration,
};
use std::cmp::Ordering;
use std::str::FromStr;

/// Datatypes whose lexical space the engine checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lexical {
    String,
    NormalizedString,
    Token,
    Language,
    NmToken,
    Name,
    NcName,
    Boolean,
    Decimal,
    /// An integer type with optional inclusive bounds (`None` = unbounded).
    Integer(Option<i128>, Option<i128>),
    Double,
    DateTime,
    DateTimeStamp,
    Date,
    Time,
    GYear,
    GYearMonth,
    GMonth,
    GDay,
    GMonthDay,
    Duration,
    DayTimeDuration,
    YearMonthDuration,
    HexBinary,
    Base64Binary,
    AnyUri,
    LangString,
}

impl Lexical {
    /// The check for a datatype IRI, `None` for datatypes the engine only
    /// compares by IRI (user-defined ones, `rdf:HTML`, ...).
    pub(crate) fn for_datatype(iri: &str) -> Option<Self> {
        if iri == RDF_LANG_STRING {
            return Some(Lexical::LangString);
        }
        let local = iri.strip_prefix(XSD)?;
        Some(match local {
            "string" => Lexical::String,
            "normalizedString" => Lexical::NormalizedString,
            "token" => Lexical::Token,
            "language" => Lexical::Language,
            "NMTOKEN" => Lexical::NmToken,
            "Name" => Lexical::Name,
            "NCName" | "ID" | "IDREF" | "ENTITY" => Lexical::NcName,
            "boolean" => Lexical::Boolean,
            "decimal" => Lexical::Decimal,
            "integer" => Lexical::Integer(None, None),
            "nonNegativeInteger" => Lexical::Integer(Some(0), None),
            "positiveInteger" => Lexical::Integer(Some(1), None),
            "nonPositiveInteger" => Lexical::Integer(None, Some(0)),
            "negativeInteger" => Lexical::Integer(None, Some(-1)),
            "long" => Lexical::Integer(Some(i64::MIN.into()), Some(i64::MAX.into())),
            "int" => Lexical::Integer(Some(i32::MIN.into()), Some(i32::MAX.into())),
            "short" => Lexical::Integer(Some(i16::MIN.into()), Some(i16::MAX.into())),
            "byte" => Lexical::Integer(Some(i8::MIN.into()), Some(i8::MAX.into())),
            "unsignedLong" => Lexical::Integer(Some(0), Some(u64::MAX.into())),
            "unsignedInt" => Lexical::Integer(Some(0), Some(u32::MAX.into())),
            "unsignedShort" => Lexical::Integer(Some(0), Some(u16::MAX.into())),
            "unsignedByte" => Lexical::Integer(Some(0), Some(u8::MAX.into())),
            "double" | "float" => Lexical::Double,
            "dateTime" => Lexical::DateTime,
            "dateTimeStamp" => Lexical::DateTimeStamp,
            "date" => Lexical::Date,
            "time" => Lexical::Time,
            "gYear" => Lexical::GYear,
            "gYearMonth" => Lexical::GYearMonth,
            "gMonth" => Lexical::GMonth,
            "gDay" => Lexical::GDay,
            "gMonthDay" => Lexical::GMonthDay,
            "duration" => Lexical::Duration,
            "dayTimeDuration" => Lexical::DayTimeDuration,
            "yearMonthDuration" => Lexical::YearMonthDuration,
            "hexBinary" => Lexical::HexBinary,
            "base64Binary" => Lexical::Base64Binary,
            "anyURI" => Lexical::AnyUri,
            _ => return None,
        })
    }

    /// Whether `literal` (already known to carry the datatype) is well-typed.
    pub(crate) fn accepts(self, literal: LiteralRef<'_>) -> bool {
        let value = literal.value();
        match self {
            Lexical::String | Lexical::AnyUri => is_xml_text(value),
            Lexical::NormalizedString => is_xml_text(value) && !value.contains(['\r', '\n', '\t']),
            Lexical::Token => is_token(value),
            Lexical::Language => is_language(value),
            Lexical::NmToken => !value.is_empty() && value.chars().all(is_name_char),
            Lexical::Name => is_name(value, true),
            Lexical::NcName => is_name(value, false),
            Lexical::Boolean => matches!(value, "true" | "false" | "1" | "0"),
            Lexical::Decimal => is_decimal(value),
            Lexical::Integer(min, max) => integer_in_range(value, min, max),
            Lexical::Double => is_double(value),
            Lexical::DateTime => DateTime::from_str(value).is_ok(),
            Lexical::DateTimeStamp => {
                DateTime::from_str(value).is_ok_and(|d| d.timezone_offset().is_some())
            }
            Lexical::Date => Date::from_str(value).is_ok(),
            Lexical::Time => Time::from_str(value).is_ok(),
            Lexical::GYear => GYear::from_str(value).is_ok(),
            Lexical::GYearMonth => GYearMonth::from_str(value).is_ok(),
            Lexical::GMonth => GMonth::from_str(value).is_ok(),
            Lexical::GDay => GDay::from_str(value).is_ok(),
            Lexical::GMonthDay => GMonthDay::from_str(value).is_ok(),
            Lexical::Duration => Duration::from_str(value).is_ok(),
            Lexical::DayTimeDuration => DayTimeDuration::from_str(value).is_ok(),
            Lexical::YearMonthDuration => YearMonthDuration::from_str(value).is_ok(),
            Lexical::HexBinary => {
                value.len() % 2 == 0 && value.bytes().all(|b| b.is_ascii_hexdigit())
            }
            Lexical::Base64Binary => is_base64(value),
            Lexical::LangString => literal.language().is_some(),
        }
    }
}

/// Whether a literal is ill-typed: it has a datatype the engine knows and a
/// lexical form outside that datatype's lexical space.
#[cfg(test)]
pub(crate) fn is_ill_typed(literal: &Literal) -> bool {
    Lexical::for_datatype(literal.datatype().as_str())
        .is_some_and(|check| !check.accepts(literal.as_ref()))
}

fn is_xml_text(value: &str) -> bool {
    value.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    })
}

fn is_token(value: &str) -> bool {
    is_xml_text(value)
        && !value.contains(['\r', '\n', '\t'])
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.contains("  ")
}

fn is_language(value: &str) -> bool {
    let mut parts = value.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_name_start_char(c: char, colon: bool) -> bool {
    (colon && c == ':')
        || c == '_'
        || c.is_ascii_alphabetic()
        || matches!(c, '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
            | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
            | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start_char(c, true)
        || c == '-'
        || c == '.'
        || c.is_ascii_digit()
        || matches!(c, '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn is_name(value: &str, colon: bool) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| is_name_start_char(c, colon))
        && chars.all(|c| is_name_char(c) && (colon || c != ':'))
}

fn digits(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

fn strip_sign(value: &str) -> &str {
    value
        .strip_prefix('+')
        .or_else(|| value.strip_prefix('-'))
        .unwrap_or(value)
}

fn is_decimal(value: &str) -> bool {
    let unsigned = strip_sign(value);
    match unsigned.split_once('.') {
        None => digits(unsigned),
        Some((int, frac)) => {
            (int.is_empty() || digits(int))
                && (frac.is_empty() || digits(frac))
                && !(int.is_empty() && frac.is_empty())
        }
    }
}

fn is_double(value: &str) -> bool {
    if matches!(value, "INF" | "+INF" | "-INF" | "NaN") {
        return true;
    }
    let mantissa = match value.find(['e', 'E']) {
        Some(at) => {
            let exponent = strip_sign(&value[at + 1..]);
            if !digits(exponent) {
                return false;
            }
            &value[..at]
        }
        None => value,
    };
    is_decimal(mantissa)
}

fn integer_in_range(value: &str, min: Option<i128>, max: Option<i128>) -> bool {
    if !digits(strip_sign(value)) {
        return false;
    }
    match i128::from_str(value) {
        Ok(n) => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
        // Beyond i128: only the unbounded side of a type can hold it.
        Err(_) => {
            let negative = value.starts_with('-');
            if negative {
                min.is_none()
            } else {
                max.is_none()
            }
        }
    }
}

fn is_base64(value: &str) -> bool {
    let compact: Vec<u8> = value.bytes().filter(|b| *b != b' ').collect();
    if compact.len() % 4 != 0 {
        return false;
    }
    let padding = compact.iter().rev().take_while(|b| **b == b'=').count();
    padding <= 2
        && compact[..compact.len() - padding]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// A literal's value, in the families SPARQL's `<` can order.
#[derive(Debug)]
enum Ordered<'a> {
    Decimal(Decimal),
    Double(f64),
    String(&'a str),
    Boolean(bool),
    DateTime(DateTime),
    Date(Date),
    Time(Time),
    Duration(Duration),
}

fn ordered(literal: LiteralRef<'_>) -> Option<Ordered<'_>> {
    let datatype = literal.datatype().as_str();
    let value = literal.value();
    if literal.language().is_some() {
        return None;
    }
    let lexical = Lexical::for_datatype(datatype)?;
    if !lexical.accepts(literal) {
        return None;
    }
    Some(match lexical {
        Lexical::String => Ordered::String(value),
        Lexical::Boolean => Ordered::Boolean(matches!(value, "true" | "1")),
        Lexical::Decimal | Lexical::Integer(..) => match Decimal::from_str(value) {
            Ok(d) => Ordered::Decimal(d),
            // Too many digits for Decimal: order by the nearest double.
            Err(_) => Ordered::Double(f64::from_str(value).ok()?),
        },
        Lexical::Double => Ordered::Double(match value {
            "INF" | "+INF" => f64::INFINITY,
            "-INF" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            _ => f64::from_str(value).ok()?,
        }),
        Lexical::DateTime | Lexical::DateTimeStamp => {
            Ordered::DateTime(DateTime::from_str(value).ok()?)
        }
        Lexical::Date => Ordered::Date(Date::from_str(value).ok()?),
        Lexical::Time => Ordered::Time(Time::from_str(value).ok()?),
        Lexical::Duration | Lexical::DayTimeDuration | Lexical::YearMonthDuration => {
            Ordered::Duration(Duration::from_str(value).ok()?)
        }
        _ => return None,
    })
}

fn as_double(value: &Ordered<'_>) -> Option<f64> {
    match value {
        Ordered::Double(d) => Some(*d),
        Ordered::Decimal(d) => f64::from_str(&d.to_string()).ok(),
        _ => None,
    }
}

/// The order of two terms under SPARQL's `<`, `None` when they are not
/// comparable (different families, IRIs, ill-typed literals, or date/times
/// whose order depends on an unknown time zone).
pub(crate) fn compare(left: TermRef<'_>, right: TermRef<'_>) -> Option<Ordering> {
    let (TermRef::Literal(left), TermRef::Literal(right)) = (left, right) else {
        return None;
    };
    let (left, right) = (ordered(left)?, ordered(right)?);
    match (&left, &right) {
        (Ordered::Decimal(a), Ordered::Decimal(b)) => a.partial_cmp(b),
        (Ordered::String(a), Ordered::String(b)) => a.partial_cmp(b),
        (Ordered::Boolean(a), Ordered::Boolean(b)) => a.partial_cmp(b),
        (Ordered::DateTime(a), Ordered::DateTime(b)) => a.partial_cmp(b),
        (Ordered::Date(a), Ordered::Date(b)) => a.partial_cmp(b),
        (Ordered::Time(a), Ordered::Time(b)) => a.partial_cmp(b),
        (Ordered::Duration(a), Ordered::Duration(b)) => a.partial_cmp(b),
        _ => as_double(&left)?.partial_cmp(&as_double(&right)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{NamedNode, Term};

    fn compare(left: &Term, right: &Term) -> Option<Ordering> {
        super::compare(left.as_ref(), right.as_ref())
    }

    fn typed(value: &str, local: &str) -> Literal {
        Literal::new_typed_literal(value, NamedNode::new_unchecked(format!("{XSD}{local}")))
    }

    fn valid(value: &str, local: &str) -> bool {
        !is_ill_typed(&typed(value, local))
    }

    #[test]
    fn integers_and_their_derived_types() {
        assert!(valid("42", "integer"));
        assert!(valid("-0", "nonNegativeInteger"));
        assert!(valid("+7", "integer"));
        assert!(valid(
            "123456789012345678901234567890123456789012",
            "integer"
        ));
        assert!(!valid("-1", "nonNegativeInteger"));
        assert!(!valid("0", "positiveInteger"));
        assert!(!valid("1", "negativeInteger"));
        assert!(!valid("300", "byte"));
        assert!(valid("-128", "byte"));
        assert!(!valid("c", "byte"));
        assert!(!valid("1.0", "integer"));
        assert!(!valid(" 1", "integer"));
        assert!(!valid("", "integer"));
        assert!(valid("18446744073709551615", "unsignedLong"));
        assert!(!valid("18446744073709551616", "unsignedLong"));
        assert!(!valid(
            "-123456789012345678901234567890123456789012",
            "nonNegativeInteger"
        ));
    }

    #[test]
    fn decimals_doubles_and_booleans() {
        assert!(valid("1.5", "decimal"));
        assert!(valid(".5", "decimal"));
        assert!(valid("5.", "decimal"));
        assert!(!valid(".", "decimal"));
        assert!(!valid("1e3", "decimal"));
        assert!(valid("1e3", "double"));
        assert!(valid("-1.5E-3", "float"));
        assert!(valid("INF", "double"));
        assert!(valid("NaN", "double"));
        assert!(!valid("inf", "double"));
        assert!(!valid("1e", "double"));
        assert!(valid("true", "boolean"));
        assert!(valid("0", "boolean"));
        assert!(!valid("yes", "boolean"));
        assert!(!valid("TRUE", "boolean"));
    }

    #[test]
    fn dates_and_times() {
        assert!(valid("2021-12-01", "date"));
        assert!(valid("2021-12-01Z", "date"));
        assert!(!valid("2021-13-01", "date"));
        assert!(!valid("2021-02-30", "date"));
        assert!(valid("2024-02-29", "date"));
        assert!(!valid("2023-02-29", "date"));
        assert!(!valid("16.05.2016", "date"));
        assert!(valid("2011-01-01T10:00:00", "dateTime"));
        assert!(!valid("2011-01-01", "dateTime"));
        assert!(valid("2011-01-01T10:00:00+02:00", "dateTimeStamp"));
        assert!(!valid("2011-01-01T10:00:00", "dateTimeStamp"));
        assert!(valid("10:00:00", "time"));
        assert!(valid("2011", "gYear"));
        assert!(!valid("11", "gYear"));
        assert!(valid("2011-05", "gYearMonth"));
        assert!(valid("P1Y2M", "duration"));
        assert!(!valid("P", "duration"));
    }

    #[test]
    fn strings_names_and_binaries() {
        assert!(valid("no", "language"));
        assert!(valid("en-GB", "language"));
        assert!(!valid("en_GB", "language"));
        assert!(valid("a b", "token"));
        assert!(!valid(" a", "token"));
        assert!(valid("ab12", "hexBinary"));
        assert!(!valid("abc", "hexBinary"));
        assert!(valid("aGVsbG8=", "base64Binary"));
        assert!(!valid("aGVsbG8", "base64Binary"));
        assert!(valid("x1", "NCName"));
        assert!(!valid("a:b", "NCName"));
        assert!(valid("a:b", "Name"));
        assert!(!is_ill_typed(&Literal::new_typed_literal(
            "anything",
            NamedNode::new_unchecked("http://example.org/myType")
        )));
    }

    #[test]
    fn comparisons_follow_sparql() {
        let int = |v: &str| Term::from(typed(v, "integer"));
        assert_eq!(compare(&int("7"), &int("8")), Some(Ordering::Less));
        assert_eq!(
            compare(&int("8"), &typed("8.0", "decimal").into()),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&int("8"), &typed("7.5e0", "double").into()),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&int("8"), &Literal::from("8").into()), None);
        assert_eq!(
            compare(&Literal::from("a").into(), &Literal::from("b").into()),
            Some(Ordering::Less)
        );
        let dt = |v: &str| Term::from(typed(v, "dateTime"));
        assert_eq!(
            compare(
                &dt("2002-10-10T12:00:00-05:00"),
                &dt("2002-10-10T12:00:01-05:00")
            ),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&dt("2002-10-10T12:00:00-05:00"), &dt("2002-10-10T12:00:00")),
            None
        );
        assert_eq!(compare(&int("x"), &int("1")), None);
        assert_eq!(
            compare(&NamedNode::new_unchecked("http://x").into(), &int("1")),
            None
        );
    }
}

//! Keeping literals exactly as harvested.
//!
//! Oxigraph stores XSD numbers, booleans, dates and durations as values: a
//! derived type such as `"105"^^xsd:nonNegativeInteger` comes back as
//! `"105"^^xsd:integer`, and a non-canonical form such as `"1.50"^^xsd:decimal`
//! as `"1.5"`. HealthDCAT-AP and DCAT-AP use `xsd:nonNegativeInteger` for every
//! count, so a plain store would change what publishers wrote. Such literals
//! are stored under a private datatype, `urn:katalog:lexical:` followed by the
//! original datatype IRI, which Oxigraph keeps as written; every way out of the
//! store (SPARQL results, exports) restores the original.

use oxigraph::model::{Literal, NamedNode, Term, Triple};
use oxsdatatypes::{
    Boolean, Date, DateTime, DayTimeDuration, Decimal, Double, Duration, Float, GDay, GMonth,
    GMonthDay, GYear, GYearMonth, Integer, Time, YearMonthDuration,
};
use std::str::FromStr;

/// Prefix of the private datatype of a literal kept as written.
pub const LEXICAL_PREFIX: &str = "urn:katalog:lexical:";

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// Derived types Oxigraph stores as `xsd:integer` (or `xsd:dateTime`).
const RETYPED: [&str; 13] = [
    "byte",
    "short",
    "int",
    "long",
    "unsignedByte",
    "unsignedShort",
    "unsignedInt",
    "unsignedLong",
    "positiveInteger",
    "negativeInteger",
    "nonPositiveInteger",
    "nonNegativeInteger",
    "dateTimeStamp",
];

/// Whether Oxigraph would give back this literal differently from how it was written.
fn changes_in_store(literal: &Literal) -> bool {
    let Some(local) = literal.datatype().as_str().strip_prefix(XSD) else {
        return false;
    };
    let value = literal.value();
    if RETYPED.contains(&local) {
        return true;
    }
    fn differs<T: FromStr + ToString>(value: &str) -> bool {
        // Oxigraph keeps a value it cannot parse as written.
        T::from_str(value).is_ok_and(|parsed| parsed.to_string() != value)
    }
    match local {
        "boolean" => differs::<Boolean>(value),
        "float" => differs::<Float>(value),
        "double" => differs::<Double>(value),
        "integer" => differs::<Integer>(value),
        "decimal" => differs::<Decimal>(value),
        "dateTime" => differs::<DateTime>(value),
        "time" => differs::<Time>(value),
        "date" => differs::<Date>(value),
        "gYearMonth" => differs::<GYearMonth>(value),
        "gYear" => differs::<GYear>(value),
        "gMonthDay" => differs::<GMonthDay>(value),
        "gDay" => differs::<GDay>(value),
        "gMonth" => differs::<GMonth>(value),
        "duration" => differs::<Duration>(value),
        "yearMonthDuration" => differs::<YearMonthDuration>(value),
        "dayTimeDuration" => differs::<DayTimeDuration>(value),
        _ => false,
    }
}

/// The term as it is written to the store.
pub fn to_store(term: &Term) -> Term {
    match term {
        Term::Literal(literal) if changes_in_store(literal) => {
            Term::Literal(Literal::new_typed_literal(
                literal.value(),
                NamedNode::new_unchecked(format!(
                    "{LEXICAL_PREFIX}{}",
                    literal.datatype().as_str()
                )),
            ))
        }
        other => other.clone(),
    }
}

/// The term as it was harvested.
pub fn from_store(term: Term) -> Term {
    match term {
        Term::Literal(literal) => match literal.datatype().as_str().strip_prefix(LEXICAL_PREFIX) {
            Some(original) => Term::Literal(Literal::new_typed_literal(
                literal.value(),
                NamedNode::new_unchecked(original),
            )),
            None => Term::Literal(literal),
        },
        other => other,
    }
}

pub fn triple_from_store(triple: Triple) -> Triple {
    Triple {
        subject: triple.subject,
        predicate: triple.predicate,
        object: from_store(triple.object),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphNameRef, NamedNodeRef, QuadRef};
    use oxigraph::store::Store;

    fn typed(value: &str, local: &str) -> Term {
        Term::Literal(Literal::new_typed_literal(
            value,
            NamedNode::new_unchecked(format!("{XSD}{local}")),
        ))
    }

    #[test]
    fn every_literal_survives_the_store() {
        let store = Store::new().unwrap();
        let s = NamedNodeRef::new_unchecked("https://example.no/d");
        let cases = [
            typed("105", "nonNegativeInteger"),
            typed("0105", "integer"),
            typed("105", "integer"),
            typed("1.50", "decimal"),
            typed("2021-01-01T10:00:00.000Z", "dateTime"),
            typed("2021-01-01T10:00:00Z", "dateTime"),
            typed("2021-05-01T10:00:00+02:00", "dateTimeStamp"),
            typed("2021-05-01T10:00:00+02:00", "dateTime"),
            typed("2021-13-01", "date"),
            typed("2021-01-01", "date"),
            typed("1", "boolean"),
            typed("1e3", "double"),
            typed("P1Y", "duration"),
            typed("-1", "nonNegativeInteger"),
            Term::Literal(Literal::new_language_tagged_literal_unchecked(
                "Kreftregisteret",
                "nb",
            )),
        ];
        for (i, term) in cases.iter().enumerate() {
            let p = NamedNode::new_unchecked(format!("https://example.no/p{i}"));
            let stored = to_store(term);
            store
                .insert(QuadRef::new(
                    s,
                    p.as_ref(),
                    stored.as_ref(),
                    GraphNameRef::DefaultGraph,
                ))
                .unwrap();
            let back = store
                .quads_for_pattern(None, Some(p.as_ref()), None, None)
                .next()
                .unwrap()
                .unwrap()
                .object;
            assert_eq!(&from_store(back), term, "case {i}");
        }
    }

    #[test]
    fn canonical_values_stay_native() {
        for term in [typed("105", "integer"), typed("2021-01-01", "date")] {
            assert_eq!(to_store(&term), term);
        }
        assert_ne!(
            to_store(&typed("105", "nonNegativeInteger")),
            typed("105", "nonNegativeInteger")
        );
    }
}

//! The steward pages' words in English and Norwegian Bokmål, chosen by
//! `?lang=` (en, nb) or else the request's Accept-Language.

use axum::http::{header, HeaderMap};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nb,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// `?lang=` first; else the first Accept-Language range we speak.
    pub fn choose(param: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = param.and_then(Self::parse) {
            return lang;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut ranges: Vec<(f32, &str)> = accept
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .into_iter()
            .filter(|(q, _)| *q > 0.0)
            .find_map(|(_, tag)| Self::parse(tag))
            .unwrap_or(Lang::En)
    }

    fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nb" | "nn" | "no" => Some(Lang::Nb),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// (key, English, Norwegian Bokmål).
const WORDS: &[(&str, &str, &str)] = &[
    ("sources_title", "Sources", "Kilder"),
    ("dashboard", "Steward dashboard", "Forvalteroversikt"),
    ("site_nav", "Site", "Nettsted"),
    ("nav_search", "Search", "Søk"),
    ("nav_validate", "Validate", "Valider"),
    ("intro", "Every configured source with its schedule, its last runs and the metadata quality of its records.", "Alle konfigurerte kilder med tidsplan, siste kjøringer og metadatakvaliteten til postene."),
    ("source", "Source", "Kilde"),
    ("kind", "Kind", "Type"),
    ("country", "Country", "Land"),
    ("profile", "Profile", "Profil"),
    ("schedule", "Schedule", "Tidsplan"),
    ("next_run", "Next run", "Neste kjøring"),
    ("last_runs", "Last runs", "Siste kjøringer"),
    ("published", "Published", "Publisert"),
    ("quality", "Quality", "Kvalitet"),
    ("none", "none", "ingen"),
    ("not_scheduled", "not scheduled", "ikke planlagt"),
    ("push_source", "records are pushed (PUT /api/records/{id})", "poster sendes inn (PUT /api/records/{id})"),
    ("never_run", "no run yet", "ingen kjøring ennå"),
    ("run_history", "Run history", "Kjørehistorikk"),
    ("started", "Started", "Startet"),
    ("outcome", "Outcome", "Utfall"),
    ("duration", "Duration", "Varighet"),
    ("new", "new", "nye"),
    ("changed", "changed", "endret"),
    ("unchanged", "unchanged", "uendret"),
    ("deleted", "deleted", "slettet"),
    ("quarantined", "quarantined", "i karantene"),
    ("counts", "Records", "Poster"),
    ("error", "Error", "Feil"),
    ("validation", "Validation", "Validering"),
    ("checked", "checked", "kontrollert"),
    ("conforming", "conforming", "gyldige"),
    ("with_warnings", "with warnings", "med advarsler"),
    ("with_violations", "with violations", "med brudd"),
    ("by_shape", "Problems by shape", "Problemer etter regel (shape)"),
    ("by_property", "Problems by property", "Problemer etter egenskap"),
    ("shape", "Shape", "Regel (shape)"),
    ("property", "Property", "Egenskap"),
    ("severity", "Severity", "Alvorlighet"),
    ("results", "Results", "Funn"),
    ("records", "Records", "Poster"),
    ("examples", "Example records", "Eksempelposter"),
    ("warned_shapes", "Warnings in the last validated run", "Advarsler i siste validerte kjøring"),
    ("warnings", "Warnings", "Advarsler"),
    ("quarantine", "Quarantined records", "Poster i karantene"),
    ("quarantine_intro", "These versions violate the source's profile and are not published. A record marked stale still has an earlier valid version published.", "Disse versjonene bryter kildens profil og publiseres ikke. En post merket utdatert har fortsatt en tidligere gyldig versjon publisert."),
    ("stale", "stale: an earlier version is published", "utdatert: en tidligere versjon er publisert"),
    ("not_published", "not published", "ikke publisert"),
    ("focus", "Focus node", "Fokusnode"),
    ("message", "Message", "Melding"),
    ("value", "Value", "Verdi"),
    ("tombstones", "Tombstones", "Slettede poster"),
    ("tombstones_intro", "Records the source no longer has; they are announced as deleted in the export.", "Poster kilden ikke lenger har; eksporten melder dem som slettet."),
    ("resource", "Resource", "Ressurs"),
    ("deleted_at", "Deleted at", "Slettet"),
    ("quality_trend", "Quality trend", "Kvalitetsutvikling"),
    ("quality_trend_intro", "Mean metadata quality score (0–100) of the records of each kept run, oldest first.", "Gjennomsnittlig metadatakvalitet (0–100) for postene i hver lagrede kjøring, eldste først."),
    ("weakest", "Weakest metrics", "Svakeste målinger"),
    ("missing_share", "Share of records missing it", "Andel poster som mangler den"),
    ("advice", "Advice", "Råd"),
    ("lowest_quality", "Lowest-scoring published records", "Publiserte poster med lavest poengsum"),
    ("score", "Score", "Poengsum"),
    ("nothing", "Nothing to show.", "Ingenting å vise."),
    ("back", "All sources", "Alle kilder"),
    ("language", "Language", "Språk"),
    ("json", "The same as JSON", "Det samme som JSON"),
    ("shown_of", "shown of", "vist av"),
    ("skip", "Skip to content", "Gå til innholdet"),
];

/// The words of one language, for the templates (`t.key`).
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(key, en, nb)| (*key, if lang == Lang::Nb { *nb } else { *en }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn language_from_parameter_then_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de;q=0.9, nb-NO;q=0.8, en;q=0.5"),
        );
        assert_eq!(Lang::choose(None, &headers), Lang::Nb);
        assert_eq!(Lang::choose(Some("en"), &headers), Lang::En);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB, no;q=0.5"),
        );
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        assert_eq!(Lang::choose(Some("nb"), &headers), Lang::Nb);
    }

    #[test]
    fn every_word_is_translated() {
        for (key, en, nb) in WORDS {
            assert!(!en.is_empty() && !nb.is_empty(), "{key}");
        }
        assert_eq!(words(Lang::Nb)["sources_title"], "Kilder");
    }
}

//! Text analysers: one per catalogue language (tantivy's Snowball stemmers)
//! and a language-neutral one. All lower-case, fold to ASCII and fold the
//! Nordic spellings together, so "Kreftregisteret", "kreftregister" and
//! "KREFTREGISTERET" meet, and "Tromsø"/"Tromso"/"Tromsoe" or
//! "Ålborg"/"Aalborg" do too.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The text languages: (field suffix, stemmer). `any` is the
/// language-neutral field: untagged literals, and an unstemmed copy of all text.
pub const LANGUAGES: [(&str, Option<Language>); 11] = [
    ("en", Some(Language::English)),
    ("nb", Some(Language::Norwegian)),
    ("sv", Some(Language::Swedish)),
    ("da", Some(Language::Danish)),
    ("fi", Some(Language::Finnish)),
    ("de", Some(Language::German)),
    ("fr", Some(Language::French)),
    ("nl", Some(Language::Dutch)),
    ("es", Some(Language::Spanish)),
    ("it", Some(Language::Italian)),
    ("any", None),
];

/// Index of the language-neutral slot in [`LANGUAGES`].
pub const ANY: usize = 10;

/// The slot of a language tag: `nb`, `nn` and `no` share the Norwegian one;
/// tags without an analyser go to the neutral one.
pub fn language_slot(tag: &str) -> usize {
    let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    let primary = match primary.as_str() {
        "nn" | "no" => "nb",
        other => other,
    };
    LANGUAGES
        .iter()
        .position(|(code, _)| *code == primary && *code != "any")
        .unwrap_or(ANY)
}

/// Name of the analyser registered for a language slot.
pub fn analyser_name(slot: usize) -> String {
    format!("kat_{}", LANGUAGES[slot].0)
}

/// Builds the analyser of a language slot.
pub fn analyser(slot: usize) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser);
    // Stemming before folding: the Nordic stemmers expect æ, ø and å.
    match LANGUAGES[slot].1 {
        // Twice for Norwegian and Danish: the first pass takes the definite
        // ending ("kreftregisteret" -> "kreftregister"), the second brings
        // it where the indefinite form goes ("kreftregister" -> "kreftregist").
        Some(language @ (Language::Norwegian | Language::Danish)) => base
            .filter(Stemmer::new(language))
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .filter(NordicFold)
            .build(),
        Some(language) => base
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .filter(NordicFold)
            .build(),
        None => base.filter(AsciiFoldingFilter).filter(NordicFold).build(),
    }
}

/// Registers every analyser with an index.
pub fn register(index: &tantivy::Index) {
    for slot in 0..LANGUAGES.len() {
        index
            .tokenizers()
            .register(&analyser_name(slot), analyser(slot));
    }
}

thread_local! {
    /// Every slot's analyser, built once per thread: building one (stemmer
    /// tables, boxed filters) costs more than analysing a query.
    static ANALYSERS: std::cell::RefCell<Vec<TextAnalyzer>> =
        std::cell::RefCell::new((0..LANGUAGES.len()).map(analyser).collect());
}

/// The tokens of a text in a language slot, with this thread's cached analyser.
pub fn slot_tokens(slot: usize, text: &str) -> Vec<Token> {
    ANALYSERS.with(|analysers| match analysers.try_borrow_mut() {
        Ok(mut analysers) => tokens(&mut analysers[slot], text),
        // Re-entered (never in practice): a fresh analyser is as correct.
        Err(_) => tokens(&mut analyser(slot), text),
    })
}

/// Calls `each` with the tokens of a text in a language slot, in order,
/// while it returns true (this thread's cached analyser).
pub fn slot_each_token(slot: usize, text: &str, mut each: impl FnMut(&Token) -> bool) {
    let mut run = |analyser: &mut TextAnalyzer| {
        let mut stream = analyser.token_stream(text);
        while stream.advance() {
            if !each(stream.token()) {
                break;
            }
        }
    };
    ANALYSERS.with(|analysers| match analysers.try_borrow_mut() {
        Ok(mut analysers) => run(&mut analysers[slot]),
        Err(_) => run(&mut analyser(slot)),
    })
}

/// The token texts of a text in a language slot.
pub fn slot_words(slot: usize, text: &str) -> Vec<String> {
    slot_tokens(slot, text)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

/// Runs an analyser over a text and returns the tokens.
pub fn tokens(analyser: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut stream = analyser.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// After ASCII folding (ø → o, å → a, æ → ae): "aa" → "a" and "oe" → "o",
/// the spellings of å and ø without the letters.
#[derive(Clone)]
pub struct NordicFold;

impl TokenFilter for NordicFold {
    type Tokenizer<T: Tokenizer> = NordicFoldFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> NordicFoldFilter<T> {
        NordicFoldFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct NordicFoldFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for NordicFoldFilter<T> {
    type TokenStream<'a> = NordicFoldStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        NordicFoldStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct NordicFoldStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for NordicFoldStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let text = &mut self.tail.token_mut().text;
        if text.contains("aa") || text.contains("oe") {
            *text = text.replace("aa", "a").replace("oe", "o");
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(slot: usize, text: &str) -> Vec<String> {
        tokens(&mut analyser(slot), text)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn norwegian_forms_meet() {
        let nb = language_slot("nb");
        let a = texts(nb, "Kreftregisteret");
        assert_eq!(a, texts(nb, "kreftregister"));
        assert_eq!(a, texts(nb, "KREFTREGISTERET"));
        assert_eq!(texts(nb, "Tromsø"), texts(nb, "Tromso"));
        assert_eq!(texts(ANY, "Tromsø"), texts(ANY, "Tromsoe"));
        assert_eq!(texts(ANY, "Ålborg"), texts(ANY, "Aalborg"));
        assert_eq!(language_slot("nn"), nb);
        assert_eq!(language_slot("no"), nb);
        assert_eq!(language_slot("en-GB"), language_slot("en"));
        assert_eq!(language_slot("et"), ANY);
        assert_eq!(language_slot(""), ANY);
    }

    #[test]
    fn stemmers_reduce_inflections() {
        assert_eq!(
            texts(language_slot("en"), "registries"),
            texts(language_slot("en"), "registry")
        );
        assert_eq!(
            texts(language_slot("de"), "Krankheiten"),
            texts(language_slot("de"), "Krankheit")
        );
    }
}

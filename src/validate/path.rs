//! SHACL property paths: read from a shapes graph, written back into
//! validation reports, and turned into SPARQL for `$PATH`.

use super::vocab::{self, sh};
use oxrdf::{BlankNode, Graph, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, TermRef, Triple};
use spargebra::algebra::PropertyPathExpression;
use std::collections::HashSet;
use std::fmt;

/// A SHACL property path (<https://www.w3.org/TR/shacl/#property-paths>).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyPath {
    Predicate(NamedNode),
    Inverse(Box<PropertyPath>),
    Sequence(Vec<PropertyPath>),
    Alternative(Vec<PropertyPath>),
    ZeroOrMore(Box<PropertyPath>),
    OneOrMore(Box<PropertyPath>),
    ZeroOrOne(Box<PropertyPath>),
}

/// Paths nest this deep at most; deeper (or cyclic) structures are ill-formed.
const MAX_PATH_DEPTH: usize = 64;

impl PropertyPath {
    /// The predicate, when the path is a single IRI.
    pub fn as_predicate(&self) -> Option<&NamedNode> {
        match self {
            PropertyPath::Predicate(p) => Some(p),
            _ => None,
        }
    }

    /// Reads the path whose node is `node` in a shapes graph.
    pub(crate) fn from_graph(graph: &Graph, node: TermRef<'_>) -> Result<Self, String> {
        Self::read(graph, node, 0)
    }

    fn read(graph: &Graph, node: TermRef<'_>, depth: usize) -> Result<Self, String> {
        if depth > MAX_PATH_DEPTH {
            return Err("the path nests too deep (or refers to itself)".into());
        }
        let subject = match node {
            TermRef::NamedNode(iri) => return Ok(PropertyPath::Predicate(iri.into_owned())),
            TermRef::BlankNode(b) => b,
            TermRef::Literal(l) => return Err(format!("a literal ({l}) is not a path")),
        };
        let first = NamedNodeRef::new_unchecked(vocab::RDF_FIRST);
        // A node that is a list is a sequence path, whatever else it says.
        if graph.object_for_subject_predicate(subject, first).is_some() {
            let members = read_list(graph, node)?;
            if members.len() < 2 {
                return Err("a sequence path needs at least two members".into());
            }
            return members
                .into_iter()
                .map(|m| Self::read(graph, m, depth + 1))
                .collect::<Result<_, _>>()
                .map(PropertyPath::Sequence);
        }
        let keyed = |local: &str| {
            let predicate = sh(local);
            let values: Vec<TermRef<'_>> = graph
                .objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(&predicate))
                .collect();
            values
        };
        let mut found = Vec::new();
        for (local, make) in [
            (
                "inversePath",
                PropertyPath::Inverse as fn(Box<PropertyPath>) -> PropertyPath,
            ),
            ("zeroOrMorePath", PropertyPath::ZeroOrMore),
            ("oneOrMorePath", PropertyPath::OneOrMore),
            ("zeroOrOnePath", PropertyPath::ZeroOrOne),
        ] {
            for value in keyed(local) {
                found.push(Self::read(graph, value, depth + 1).map(|p| make(Box::new(p))));
            }
        }
        for value in keyed("alternativePath") {
            found.push(read_list(graph, value).and_then(|members| {
                if members.len() < 2 {
                    return Err("an alternative path needs at least two members".into());
                }
                members
                    .into_iter()
                    .map(|m| Self::read(graph, m, depth + 1))
                    .collect::<Result<_, _>>()
                    .map(PropertyPath::Alternative)
            }));
        }
        match found.len() {
            0 => Err(format!(
                "{subject} is neither an IRI, a list nor a node with sh:inversePath, sh:alternativePath, sh:zeroOrMorePath, sh:oneOrMorePath or sh:zeroOrOnePath"
            )),
            1 => found.pop().unwrap_or_else(|| Err("no path".into())),
            _ => Err(format!("{subject} describes more than one path")),
        }
    }

    /// Writes the path into `graph` with fresh blank nodes and returns its node.
    pub fn write_rdf(&self, graph: &mut Graph) -> Term {
        match self {
            PropertyPath::Predicate(p) => p.clone().into(),
            PropertyPath::Sequence(members) => {
                let items: Vec<Term> = members.iter().map(|m| m.write_rdf(graph)).collect();
                write_list(graph, items)
            }
            PropertyPath::Alternative(members) => {
                let items: Vec<Term> = members.iter().map(|m| m.write_rdf(graph)).collect();
                let list = write_list(graph, items);
                keyed_node(graph, "alternativePath", list)
            }
            PropertyPath::Inverse(inner) => {
                let value = inner.write_rdf(graph);
                keyed_node(graph, "inversePath", value)
            }
            PropertyPath::ZeroOrMore(inner) => {
                let value = inner.write_rdf(graph);
                keyed_node(graph, "zeroOrMorePath", value)
            }
            PropertyPath::OneOrMore(inner) => {
                let value = inner.write_rdf(graph);
                keyed_node(graph, "oneOrMorePath", value)
            }
            PropertyPath::ZeroOrOne(inner) => {
                let value = inner.write_rdf(graph);
                keyed_node(graph, "zeroOrOnePath", value)
            }
        }
    }

    /// The path as a SPARQL property path expression.
    pub fn to_sparql(&self) -> PropertyPathExpression {
        fn fold(
            members: &[PropertyPath],
            join: fn(
                Box<PropertyPathExpression>,
                Box<PropertyPathExpression>,
            ) -> PropertyPathExpression,
        ) -> PropertyPathExpression {
            let mut iter = members.iter().map(PropertyPath::to_sparql);
            let first = iter
                .next()
                .unwrap_or_else(|| PropertyPathExpression::NegatedPropertySet(Vec::new()));
            iter.fold(first, |left, right| join(Box::new(left), Box::new(right)))
        }
        match self {
            PropertyPath::Predicate(p) => PropertyPathExpression::NamedNode(p.clone()),
            PropertyPath::Inverse(inner) => {
                PropertyPathExpression::Reverse(Box::new(inner.to_sparql()))
            }
            PropertyPath::Sequence(members) => fold(members, PropertyPathExpression::Sequence),
            PropertyPath::Alternative(members) => {
                fold(members, PropertyPathExpression::Alternative)
            }
            PropertyPath::ZeroOrMore(inner) => {
                PropertyPathExpression::ZeroOrMore(Box::new(inner.to_sparql()))
            }
            PropertyPath::OneOrMore(inner) => {
                PropertyPathExpression::OneOrMore(Box::new(inner.to_sparql()))
            }
            PropertyPath::ZeroOrOne(inner) => {
                PropertyPathExpression::ZeroOrOne(Box::new(inner.to_sparql()))
            }
        }
    }
}

impl fmt::Display for PropertyPath {
    /// SPARQL property path syntax, with parentheses only where needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn primary(path: &PropertyPath, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match path {
                PropertyPath::Predicate(p) => write!(f, "{p}"),
                other => write!(f, "({other})"),
            }
        }
        fn members(
            members: &[PropertyPath],
            separator: &str,
            f: &mut fmt::Formatter<'_>,
        ) -> fmt::Result {
            for (i, member) in members.iter().enumerate() {
                if i > 0 {
                    f.write_str(separator)?;
                }
                match member {
                    PropertyPath::Sequence(_) | PropertyPath::Alternative(_) => primary(member, f)?,
                    other => write!(f, "{other}")?,
                }
            }
            Ok(())
        }
        match self {
            PropertyPath::Predicate(p) => write!(f, "{p}"),
            PropertyPath::Inverse(inner) => {
                f.write_str("^")?;
                primary(inner, f)
            }
            PropertyPath::Sequence(m) => members(m, " / ", f),
            PropertyPath::Alternative(m) => members(m, " | ", f),
            PropertyPath::ZeroOrMore(inner) => {
                primary(inner, f)?;
                f.write_str("*")
            }
            PropertyPath::OneOrMore(inner) => {
                primary(inner, f)?;
                f.write_str("+")
            }
            PropertyPath::ZeroOrOne(inner) => {
                primary(inner, f)?;
                f.write_str("?")
            }
        }
    }
}

fn keyed_node(graph: &mut Graph, local: &str, value: Term) -> Term {
    let node = BlankNode::default();
    graph.insert(&Triple::new(
        node.clone(),
        NamedNode::new_unchecked(sh(local)),
        value,
    ));
    node.into()
}

fn write_list(graph: &mut Graph, items: Vec<Term>) -> Term {
    let mut rest: Term = NamedNode::new_unchecked(vocab::RDF_NIL).into();
    for item in items.into_iter().rev() {
        let node = BlankNode::default();
        graph.insert(&Triple::new(
            node.clone(),
            NamedNode::new_unchecked(vocab::RDF_FIRST),
            item,
        ));
        graph.insert(&Triple::new(
            node.clone(),
            NamedNode::new_unchecked(vocab::RDF_REST),
            rest,
        ));
        rest = node.into();
    }
    rest
}

/// The members of the RDF list starting at `head`; an error for anything
/// that is not a well-formed list (cycles, missing or repeated
/// `rdf:first`/`rdf:rest`).
pub(crate) fn read_list<'g>(
    graph: &'g Graph,
    head: TermRef<'g>,
) -> Result<Vec<TermRef<'g>>, String> {
    let first = NamedNodeRef::new_unchecked(vocab::RDF_FIRST);
    let rest = NamedNodeRef::new_unchecked(vocab::RDF_REST);
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    let mut node = head;
    loop {
        let subject = match node {
            TermRef::NamedNode(n) if n.as_str() == vocab::RDF_NIL => return Ok(members),
            TermRef::NamedNode(n) => NamedOrBlankNode::from(n.into_owned()),
            TermRef::BlankNode(b) => NamedOrBlankNode::from(b.into_owned()),
            TermRef::Literal(l) => return Err(format!("a literal ({l}) is not a list")),
        };
        if !seen.insert(subject.clone()) {
            return Err(format!("the list at {head} is cyclic"));
        }
        let mut firsts = graph.objects_for_subject_predicate(&subject, first);
        let mut rests = graph.objects_for_subject_predicate(&subject, rest);
        match (firsts.next(), firsts.next(), rests.next(), rests.next()) {
            (Some(item), None, Some(next), None) => {
                members.push(item);
                node = next;
            }
            _ => {
                return Err(format!(
                    "the list at {head} is ill-formed: {subject} needs exactly one rdf:first and one rdf:rest"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    fn graph(turtle: &str) -> Graph {
        let text = format!(
            "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n{turtle}"
        );
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(text.as_bytes())
            .map(|q| q.map(|q| Triple::new(q.subject, q.predicate, q.object)))
            .collect::<Result<Graph, _>>()
            .expect("test Turtle parses")
    }

    fn path_of(graph: &Graph) -> Result<PropertyPath, String> {
        let shape = NamedNodeRef::new_unchecked("http://example.org/s");
        let node = graph
            .object_for_subject_predicate(shape, NamedNodeRef::new_unchecked(&sh("path")))
            .expect("ex:s has a path");
        PropertyPath::from_graph(graph, node)
    }

    fn ex(local: &str) -> PropertyPath {
        PropertyPath::Predicate(NamedNode::new_unchecked(format!(
            "http://example.org/{local}"
        )))
    }

    #[test]
    fn reads_every_kind_of_path() {
        let g = graph(
            "ex:s sh:path ( ex:a [ sh:inversePath ex:b ] [ sh:alternativePath ( ex:c [ sh:zeroOrMorePath ex:d ] ) ] [ sh:oneOrMorePath ex:e ] [ sh:zeroOrOnePath ex:f ] ) .",
        );
        let path = path_of(&g).expect("well-formed");
        assert_eq!(
            path,
            PropertyPath::Sequence(vec![
                ex("a"),
                PropertyPath::Inverse(Box::new(ex("b"))),
                PropertyPath::Alternative(vec![
                    ex("c"),
                    PropertyPath::ZeroOrMore(Box::new(ex("d")))
                ]),
                PropertyPath::OneOrMore(Box::new(ex("e"))),
                PropertyPath::ZeroOrOne(Box::new(ex("f"))),
            ])
        );
        assert_eq!(
            path.to_string(),
            "<http://example.org/a> / ^<http://example.org/b> / (<http://example.org/c> | <http://example.org/d>*) / <http://example.org/e>+ / <http://example.org/f>?"
        );
    }

    #[test]
    fn round_trips_through_rdf() {
        let g = graph(
            "ex:s sh:path ( ex:a [ sh:alternativePath ( ex:b [ sh:inversePath ex:c ] ) ] ) .",
        );
        let path = path_of(&g).expect("well-formed");
        let mut out = Graph::new();
        let node = path.write_rdf(&mut out);
        assert_eq!(PropertyPath::from_graph(&out, node.as_ref()), Ok(path));
    }

    #[test]
    fn a_list_wins_over_other_path_keys() {
        let g = graph(
            "ex:s sh:path [ rdf:first ex:p ; rdf:rest ( ex:q ) ; sh:inversePath ( ex:p ) ] .",
        );
        assert_eq!(
            path_of(&g),
            Ok(PropertyPath::Sequence(vec![ex("p"), ex("q")]))
        );
    }

    #[test]
    fn ill_formed_paths_are_errors() {
        assert!(path_of(&graph("ex:s sh:path [ sh:zeroOrMorePath ( ex:a ) ] .")).is_err());
        assert!(path_of(&graph("ex:s sh:path [ ex:other ex:a ] .")).is_err());
        assert!(path_of(&graph("ex:s sh:path \"p\" .")).is_err());
        assert!(path_of(&graph("ex:s sh:path [ sh:alternativePath ( ex:a ) ] .")).is_err());
        assert!(path_of(&graph(
            "ex:s sh:path [ sh:inversePath ex:a ; sh:zeroOrMorePath ex:b ] ."
        ))
        .is_err());
        let cyclic = graph("ex:s sh:path _:p . _:p sh:inversePath _:p .");
        assert!(path_of(&cyclic).is_err());
    }
}

//! SHACL-SPARQL: compiling `sh:select` / `sh:ask` queries once, and running
//! them against a [`DataGraph`] without copying it.
//!
//! Pre-binding (SHACL §6 appendix: each basic graph pattern, property path
//! and `GRAPH ?var` is joined with the one-row table of pre-bound values) is
//! done on the algebra at compile time, with placeholder IRIs standing for
//! the values. At run time the dataset view maps each placeholder to the
//! current focus node, value or parameter, so the compiled query is reused
//! for every focus node, blank nodes included (which a `VALUES` clause could
//! not carry).

use super::data::{DataGraph, Interner, TermId};
use super::path::PropertyPath;
use super::vocab::{self, sh};
use oxrdf::{Graph, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef, Variable};
use spareval::{InternalQuad, QueryEvaluator, QueryResults, QueryableDataset};
use spargebra::algebra::{
    AggregateExpression, Expression, GraphPattern, OrderExpression, PropertyPathExpression,
};
use spargebra::term::{GroundTerm, NamedNodePattern, TermPattern, TriplePattern};
use spargebra::{Query, SparqlParser};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Placeholder IRIs for pre-bound variables start with this.
const PLACEHOLDER: &str = "urn:x-katalog:validate:prebound:";
/// The name of the shapes graph when a query reads it via `$shapesGraph`.
pub(crate) const SHAPES_GRAPH_IRI: &str = "urn:x-katalog:validate:shapes-graph";

pub(crate) const THIS: &str = "this";
pub(crate) const VALUE: &str = "value";
const PATH_VARIABLE: &str = "PATH";
const SHAPES_GRAPH: &str = "shapesGraph";
const CURRENT_SHAPE: &str = "currentShape";

/// Which SPARQL form a query has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryForm {
    Select,
    Ask,
}

/// A query ready to run: prefixes applied, `$PATH` substituted, pre-binding
/// rewritten into the algebra.
#[derive(Debug)]
pub(crate) struct CompiledQuery {
    pub(crate) query: Query,
    pub(crate) form: QueryForm,
    /// The IRI standing for each pre-bound variable in the rewritten query,
    /// in the order their values are given at run time: `this`,
    /// `currentShape`, `shapesGraph`, then `value` (ASK only), then the
    /// component's parameters.
    pub(crate) placeholders: Vec<NamedNode>,
    /// Whether the query names `$shapesGraph` (then the shapes graph is in the dataset).
    pub(crate) reads_shapes_graph: bool,
}

/// Prefix declarations reachable from `node` via
/// `sh:prefixes/owl:imports*/sh:declare`.
pub(crate) fn collect_prefixes(
    graph: &Graph,
    node: NamedOrBlankNodeRef<'_>,
) -> Result<Vec<(String, String)>, String> {
    let objects =
        |subject: NamedOrBlankNodeRef<'_>, predicate: &str| -> Vec<NamedOrBlankNodeRef<'_>> {
            graph
                .objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(predicate))
                .filter_map(|o| match o {
                    TermRef::NamedNode(n) => Some(n.into()),
                    TermRef::BlankNode(b) => Some(b.into()),
                    TermRef::Literal(_) => None,
                })
                .collect()
        };
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<NamedOrBlankNodeRef<'_>> = objects(node, &sh("prefixes"));
    let mut visited = Vec::new();
    while let Some(ontology) = pending.pop() {
        if visited.contains(&ontology) {
            continue;
        }
        visited.push(ontology);
        pending.extend(objects(ontology, vocab::OWL_IMPORTS));
        for declaration in objects(ontology, &sh("declare")) {
            let literal = |local: &str| {
                graph
                    .object_for_subject_predicate(
                        declaration,
                        NamedNodeRef::new_unchecked(&sh(local)),
                    )
                    .and_then(|t| match t {
                        TermRef::Literal(l) => Some(l.value().to_owned()),
                        _ => None,
                    })
            };
            let (Some(prefix), Some(namespace)) = (literal("prefix"), literal("namespace")) else {
                return Err(format!(
                    "the prefix declaration {declaration} needs one literal sh:prefix and one literal sh:namespace"
                ));
            };
            match found.get(&prefix) {
                Some(existing) if *existing != namespace => {
                    return Err(format!(
                        "prefix {prefix}: is declared both as <{existing}> and as <{namespace}>"
                    ))
                }
                _ => {
                    found.insert(prefix, namespace);
                }
            }
        }
    }
    Ok(found.into_iter().collect())
}

impl CompiledQuery {
    /// Parses and prepares a query. `parameters` are the component's
    /// parameter names; `path` is the property shape's path, for `$PATH`.
    pub(crate) fn compile(
        text: &str,
        prefixes: &[(String, String)],
        form: QueryForm,
        parameters: &[String],
        path: Option<&PropertyPath>,
    ) -> Result<Self, String> {
        let mut parser = SparqlParser::new();
        for (prefix, namespace) in prefixes {
            parser = parser
                .with_prefix(prefix.as_str(), namespace.as_str())
                .map_err(|e| {
                    format!("prefix {prefix}: has an invalid namespace <{namespace}>: {e}")
                })?;
        }
        let query = parser
            .parse_query(text)
            .map_err(|e| format!("the SPARQL query does not parse: {e}"))?;
        let (pattern, dataset, base_iri) = match (query, form) {
            (
                Query::Select {
                    pattern,
                    dataset,
                    base_iri,
                },
                QueryForm::Select,
            ) => (pattern, dataset, base_iri),
            (
                Query::Ask {
                    pattern,
                    dataset,
                    base_iri,
                },
                QueryForm::Ask,
            ) => (pattern, dataset, base_iri),
            (_, QueryForm::Select) => return Err("sh:select needs a SELECT query".into()),
            (_, QueryForm::Ask) => return Err("sh:ask needs an ASK query".into()),
        };
        if dataset.is_some() {
            return Err("the query must not have FROM or FROM NAMED clauses".into());
        }
        let mut prebound: Vec<Variable> = [THIS, CURRENT_SHAPE, SHAPES_GRAPH]
            .into_iter()
            .map(Variable::new_unchecked)
            .collect();
        if form == QueryForm::Ask {
            prebound.push(Variable::new_unchecked(VALUE));
        }
        for parameter in parameters {
            let variable = Variable::new(parameter.as_str()).map_err(|_| {
                format!("the parameter name {parameter} is not a SPARQL variable name")
            })?;
            if prebound.contains(&variable) || parameter == PATH_VARIABLE || parameter == "path" {
                return Err(format!("{parameter} cannot be a parameter name"));
            }
            prebound.push(variable);
        }
        if form == QueryForm::Select && !projects(&pattern, THIS) {
            return Err("the SELECT query must project $this".into());
        }
        let mut rewriter = Rewriter {
            prebound: &prebound,
            path: path.map(PropertyPath::to_sparql),
            reads_shapes_graph: false,
        };
        let pattern = rewriter.pattern(pattern, true)?;
        let reads_shapes_graph = rewriter.reads_shapes_graph;
        let query = match form {
            QueryForm::Select => Query::Select {
                pattern,
                dataset: None,
                base_iri,
            },
            QueryForm::Ask => Query::Ask {
                pattern,
                dataset: None,
                base_iri,
            },
        };
        let placeholders = prebound.iter().map(placeholder).collect();
        Ok(CompiledQuery {
            query,
            form,
            placeholders,
            reads_shapes_graph,
        })
    }
}

fn placeholder(variable: &Variable) -> NamedNode {
    NamedNode::new_unchecked(format!("{PLACEHOLDER}{}", variable.as_str()))
}

/// Whether the outermost projection of a SELECT pattern includes `name`.
fn projects(pattern: &GraphPattern, name: &str) -> bool {
    match pattern {
        GraphPattern::Project { variables, .. } => variables.iter().any(|v| v.as_str() == name),
        GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => projects(inner, name),
        _ => false,
    }
}

/// Enforces SHACL's restrictions on pre-bound queries and rewrites the
/// algebra for pre-binding and `$PATH`.
struct Rewriter<'a> {
    prebound: &'a [Variable],
    path: Option<PropertyPathExpression>,
    reads_shapes_graph: bool,
}

impl Rewriter<'_> {
    fn is_prebound(&self, variable: &Variable) -> bool {
        self.prebound.contains(variable)
    }

    fn note(&mut self, variable: &Variable) {
        if variable.as_str() == SHAPES_GRAPH {
            self.reads_shapes_graph = true;
        }
    }

    /// The one-row table of pre-bound values (as placeholders).
    fn table(&self) -> GraphPattern {
        GraphPattern::Values {
            variables: self.prebound.to_vec(),
            bindings: vec![self
                .prebound
                .iter()
                .map(|v| Some(GroundTerm::NamedNode(placeholder(v))))
                .collect()],
        }
    }

    fn with_table(&self, pattern: GraphPattern) -> GraphPattern {
        GraphPattern::Join {
            left: Box::new(self.table()),
            right: Box::new(pattern),
        }
    }

    fn term(&mut self, term: TermPattern) -> Result<TermPattern, String> {
        match term {
            TermPattern::Variable(v) if v.as_str() == PATH_VARIABLE => {
                Err("$PATH may only be used in the predicate position of a triple pattern".into())
            }
            TermPattern::Variable(v) if self.is_prebound(&v) => {
                self.note(&v);
                Ok(TermPattern::NamedNode(placeholder(&v)))
            }
            other => Ok(other),
        }
    }

    fn pattern(&mut self, pattern: GraphPattern, top: bool) -> Result<GraphPattern, String> {
        Ok(match pattern {
            GraphPattern::Bgp { patterns } => {
                let mut plain = Vec::new();
                let mut paths = Vec::new();
                for TriplePattern {
                    subject,
                    predicate,
                    object,
                } in patterns
                {
                    let subject = self.term(subject)?;
                    let object = self.term(object)?;
                    match predicate {
                        NamedNodePattern::Variable(v) if v.as_str() == PATH_VARIABLE => {
                            let Some(path) = self.path.clone() else {
                                return Err(
                                    "$PATH is only allowed in queries of property shapes".into()
                                );
                            };
                            match path {
                                PropertyPathExpression::NamedNode(p) => plain.push(TriplePattern {
                                    subject,
                                    predicate: p.into(),
                                    object,
                                }),
                                path => paths.push(GraphPattern::Path {
                                    subject,
                                    path,
                                    object,
                                }),
                            }
                        }
                        NamedNodePattern::Variable(v) if self.is_prebound(&v) => {
                            self.note(&v);
                            plain.push(TriplePattern {
                                subject,
                                predicate: placeholder(&v).into(),
                                object,
                            })
                        }
                        predicate => plain.push(TriplePattern {
                            subject,
                            predicate,
                            object,
                        }),
                    }
                }
                let mut result = GraphPattern::Bgp { patterns: plain };
                for path in paths {
                    result = GraphPattern::Join {
                        left: Box::new(result),
                        right: Box::new(path),
                    };
                }
                self.with_table(result)
            }
            GraphPattern::Path {
                subject,
                path,
                object,
            } => {
                let subject = self.term(subject)?;
                let object = self.term(object)?;
                self.with_table(GraphPattern::Path {
                    subject,
                    path,
                    object,
                })
            }
            GraphPattern::Join { left, right } => GraphPattern::Join {
                left: Box::new(self.pattern(*left, false)?),
                right: Box::new(self.pattern(*right, false)?),
            },
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => GraphPattern::LeftJoin {
                left: Box::new(self.pattern(*left, false)?),
                right: Box::new(self.pattern(*right, false)?),
                expression: expression.map(|e| self.expression(e)).transpose()?,
            },
            GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
                left: Box::new(self.pattern(*left, false)?),
                right: Box::new(self.pattern(*right, false)?),
            },
            GraphPattern::Filter { expr, inner } => GraphPattern::Filter {
                expr: self.expression(expr)?,
                inner: Box::new(self.pattern(*inner, false)?),
            },
            GraphPattern::Union { left, right } => GraphPattern::Union {
                left: Box::new(self.pattern(*left, false)?),
                right: Box::new(self.pattern(*right, false)?),
            },
            GraphPattern::Graph { name, inner } => {
                let inner = Box::new(self.pattern(*inner, false)?);
                match name {
                    NamedNodePattern::Variable(v) if self.is_prebound(&v) => {
                        self.note(&v);
                        self.with_table(GraphPattern::Graph {
                            name: placeholder(&v).into(),
                            inner,
                        })
                    }
                    name => GraphPattern::Graph { name, inner },
                }
            }
            GraphPattern::Extend {
                inner,
                variable,
                expression,
            } => {
                if self.is_prebound(&variable) || variable.as_str() == PATH_VARIABLE {
                    return Err(format!(
                        "the query must not assign the pre-bound variable ?{} (AS ?{})",
                        variable.as_str(),
                        variable.as_str()
                    ));
                }
                GraphPattern::Extend {
                    inner: Box::new(self.pattern(*inner, false)?),
                    variable,
                    expression: self.expression(expression)?,
                }
            }
            GraphPattern::Minus { .. } => return Err("the query must not use MINUS".into()),
            GraphPattern::Values { .. } => return Err("the query must not use VALUES".into()),
            GraphPattern::Service { .. } => return Err("the query must not use SERVICE".into()),
            GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
                inner: Box::new(self.pattern(*inner, top)?),
                expression: expression
                    .into_iter()
                    .map(|e| {
                        Ok(match e {
                            OrderExpression::Asc(e) => OrderExpression::Asc(self.expression(e)?),
                            OrderExpression::Desc(e) => OrderExpression::Desc(self.expression(e)?),
                        })
                    })
                    .collect::<Result<_, String>>()?,
            },
            GraphPattern::Project { inner, variables } => {
                if !top {
                    let missing: Vec<&str> = self
                        .prebound
                        .iter()
                        .filter(|v| !matches!(v.as_str(), SHAPES_GRAPH | CURRENT_SHAPE))
                        .filter(|v| !variables.contains(v))
                        .map(Variable::as_str)
                        .collect();
                    if !missing.is_empty() {
                        return Err(format!(
                            "a subquery must return every pre-bound variable, and this one does not return ?{}",
                            missing.join(", ?")
                        ));
                    }
                }
                GraphPattern::Project {
                    inner: Box::new(self.pattern(*inner, false)?),
                    variables,
                }
            }
            GraphPattern::Distinct { inner } => GraphPattern::Distinct {
                inner: Box::new(self.pattern(*inner, top)?),
            },
            GraphPattern::Reduced { inner } => GraphPattern::Reduced {
                inner: Box::new(self.pattern(*inner, top)?),
            },
            GraphPattern::Slice {
                inner,
                start,
                length,
            } => GraphPattern::Slice {
                inner: Box::new(self.pattern(*inner, top)?),
                start,
                length,
            },
            GraphPattern::Group {
                inner,
                variables,
                aggregates,
            } => {
                for (variable, _) in &aggregates {
                    if self.is_prebound(variable) {
                        return Err(format!(
                            "the query must not assign the pre-bound variable ?{}",
                            variable.as_str()
                        ));
                    }
                }
                GraphPattern::Group {
                    inner: Box::new(self.pattern(*inner, false)?),
                    variables,
                    aggregates: aggregates
                        .into_iter()
                        .map(|(variable, aggregate)| {
                            Ok((
                                variable,
                                match aggregate {
                                    AggregateExpression::FunctionCall {
                                        name,
                                        expr,
                                        distinct,
                                    } => AggregateExpression::FunctionCall {
                                        name,
                                        expr: self.expression(expr)?,
                                        distinct,
                                    },
                                    count => count,
                                },
                            ))
                        })
                        .collect::<Result<_, String>>()?,
                }
            }
        })
    }

    fn expression(&mut self, expression: Expression) -> Result<Expression, String> {
        let mut boxed = |e: Box<Expression>| -> Result<Box<Expression>, String> {
            Ok(Box::new(self.expression(*e)?))
        };
        Ok(match expression {
            Expression::Variable(v) if v.as_str() == PATH_VARIABLE => {
                return Err(
                    "$PATH may only be used in the predicate position of a triple pattern".into(),
                )
            }
            Expression::Variable(v) => {
                self.note(&v);
                Expression::Variable(v)
            }
            Expression::Bound(v) => {
                self.note(&v);
                Expression::Bound(v)
            }
            e @ (Expression::NamedNode(_) | Expression::Literal(_)) => e,
            Expression::Or(a, b) => Expression::Or(boxed(a)?, boxed(b)?),
            Expression::And(a, b) => Expression::And(boxed(a)?, boxed(b)?),
            Expression::Equal(a, b) => Expression::Equal(boxed(a)?, boxed(b)?),
            Expression::SameTerm(a, b) => Expression::SameTerm(boxed(a)?, boxed(b)?),
            Expression::Greater(a, b) => Expression::Greater(boxed(a)?, boxed(b)?),
            Expression::GreaterOrEqual(a, b) => Expression::GreaterOrEqual(boxed(a)?, boxed(b)?),
            Expression::Less(a, b) => Expression::Less(boxed(a)?, boxed(b)?),
            Expression::LessOrEqual(a, b) => Expression::LessOrEqual(boxed(a)?, boxed(b)?),
            Expression::Add(a, b) => Expression::Add(boxed(a)?, boxed(b)?),
            Expression::Subtract(a, b) => Expression::Subtract(boxed(a)?, boxed(b)?),
            Expression::Multiply(a, b) => Expression::Multiply(boxed(a)?, boxed(b)?),
            Expression::Divide(a, b) => Expression::Divide(boxed(a)?, boxed(b)?),
            Expression::UnaryPlus(a) => Expression::UnaryPlus(boxed(a)?),
            Expression::UnaryMinus(a) => Expression::UnaryMinus(boxed(a)?),
            Expression::Not(a) => Expression::Not(boxed(a)?),
            Expression::In(a, list) => Expression::In(
                boxed(a)?,
                list.into_iter()
                    .map(|e| self.expression(e))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::If(a, b, c) => Expression::If(boxed(a)?, boxed(b)?, boxed(c)?),
            Expression::Coalesce(list) => Expression::Coalesce(
                list.into_iter()
                    .map(|e| self.expression(e))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::FunctionCall(function, args) => Expression::FunctionCall(
                function,
                args.into_iter()
                    .map(|e| self.expression(e))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::Exists(pattern) => {
                Expression::Exists(Box::new(self.pattern(*pattern, false)?))
            }
        })
    }
}

/// The dataset a query sees: the data graph as default graph, the shapes
/// graph as a named graph when the query asks for it, and the pre-bound
/// values behind their placeholders.
pub(crate) struct SparqlView<'a> {
    pub(crate) data: &'a DataGraph<'a>,
    /// Terms of the validation run that the data graph does not contain.
    pub(crate) extra: &'a Interner<Vec<Term>>,
    /// Terms the query itself produces (BIND, aggregates, constants).
    pub(crate) produced: RefCell<Interner<Vec<Term>>>,
    pub(crate) placeholders: Vec<(&'a NamedNode, TermId)>,
    pub(crate) shapes_graph: Option<(TermId, &'a Graph)>,
}

#[derive(Debug, thiserror::Error)]
#[error("the SPARQL engine asked for an unknown term id {0}")]
pub(crate) struct UnknownTermId(TermId);

impl SparqlView<'_> {
    fn term(&self, id: TermId) -> Option<Term> {
        self.data
            .term(id)
            .or_else(|| self.extra.term(id))
            .map(TermRef::into_owned)
            .or_else(|| self.produced.borrow().term(id).map(TermRef::into_owned))
    }

    fn intern(&self, term: TermRef<'_>) -> TermId {
        if let Some(id) = self.data.id(term).or_else(|| self.extra.get(term)) {
            return id;
        }
        self.produced.borrow_mut().insert(term)
    }

    fn shapes_graph_quads(
        &self,
        graph: &Graph,
        graph_id: TermId,
        s: Option<TermId>,
        p: Option<TermId>,
        o: Option<TermId>,
    ) -> Vec<InternalQuad<TermId>> {
        let wanted = |id: Option<TermId>| id.map(|id| self.term(id));
        let (s_term, p_term, o_term) = (wanted(s), wanted(p), wanted(o));
        // A bound id that is no term cannot match anything.
        if matches!(s_term, Some(None))
            || matches!(p_term, Some(None))
            || matches!(o_term, Some(None))
        {
            return Vec::new();
        }
        let matches = |triple: &oxrdf::TripleRef<'_>| {
            s_term
                .as_ref()
                .and_then(Option::as_ref)
                .is_none_or(|t| t.as_ref() == TermRef::from(triple.subject))
                && p_term
                    .as_ref()
                    .and_then(Option::as_ref)
                    .is_none_or(|t| t.as_ref() == TermRef::from(triple.predicate))
                && o_term
                    .as_ref()
                    .and_then(Option::as_ref)
                    .is_none_or(|t| t.as_ref() == triple.object)
        };
        graph
            .iter()
            .filter(matches)
            .map(|t| InternalQuad {
                subject: self.intern(t.subject.into()),
                predicate: self.intern(t.predicate.into()),
                object: self.intern(t.object),
                graph_name: Some(graph_id),
            })
            .collect()
    }
}

impl<'a> QueryableDataset<'a> for &'a SparqlView<'a> {
    type InternalTerm = TermId;
    type Error = UnknownTermId;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&TermId>,
        predicate: Option<&TermId>,
        object: Option<&TermId>,
        graph_name: Option<Option<&TermId>>,
    ) -> impl Iterator<Item = Result<InternalQuad<TermId>, UnknownTermId>> + use<'a> {
        let (s, p, o) = (subject.copied(), predicate.copied(), object.copied());
        let view: &'a SparqlView<'a> = self;
        let iter: Box<dyn Iterator<Item = Result<InternalQuad<TermId>, UnknownTermId>> + 'a> =
            match graph_name {
                Some(None) => Box::new(view.data.matching(s, p, o).map(|[s, p, o]| {
                    Ok(InternalQuad {
                        subject: s,
                        predicate: p,
                        object: o,
                        graph_name: None,
                    })
                })),
                Some(Some(&g)) => match view.shapes_graph {
                    Some((id, graph)) if id == g => Box::new(
                        view.shapes_graph_quads(graph, id, s, p, o)
                            .into_iter()
                            .map(Ok),
                    ),
                    _ => Box::new(std::iter::empty()),
                },
                None => match view.shapes_graph {
                    Some((id, graph)) => Box::new(
                        view.shapes_graph_quads(graph, id, s, p, o)
                            .into_iter()
                            .map(Ok),
                    ),
                    None => Box::new(std::iter::empty()),
                },
            };
        iter
    }

    fn internal_named_graphs(
        &self,
    ) -> impl Iterator<Item = Result<TermId, UnknownTermId>> + use<'a> {
        self.shapes_graph.map(|(id, _)| Ok(id)).into_iter()
    }

    fn contains_internal_graph_name(&self, graph_name: &TermId) -> Result<bool, UnknownTermId> {
        Ok(self.shapes_graph.is_some_and(|(id, _)| id == *graph_name))
    }

    fn internalize_term(&self, term: Term) -> Result<TermId, UnknownTermId> {
        if let Term::NamedNode(node) = &term {
            if node.as_str().starts_with(PLACEHOLDER) {
                if let Some((_, id)) = self.placeholders.iter().find(|(p, _)| *p == node) {
                    return Ok(*id);
                }
            }
        }
        Ok(self.intern(term.as_ref()))
    }

    fn externalize_term(&self, term: TermId) -> Result<Term, UnknownTermId> {
        self.term(term).ok_or(UnknownTermId(term))
    }
}

/// Pairs each pre-bound variable's placeholder with its value.
pub(crate) fn placeholders<'q>(
    query: &'q CompiledQuery,
    values: &[TermId],
) -> Vec<(&'q NamedNode, TermId)> {
    query
        .placeholders
        .iter()
        .zip(values.iter().copied())
        .collect()
}

/// One solution of a SELECT query, as (variable name, term) pairs.
pub(crate) type Solution = Vec<(String, Term)>;

/// What a query returned.
pub(crate) enum Outcome {
    Boolean(bool),
    Solutions(Vec<Solution>),
}

pub(crate) fn execute(
    evaluator: &QueryEvaluator,
    query: &CompiledQuery,
    view: &SparqlView<'_>,
) -> Result<Outcome, String> {
    let results = evaluator
        .prepare(&query.query)
        .execute(view)
        .map_err(|e| format!("the SPARQL query failed: {e}"))?;
    match results {
        QueryResults::Boolean(b) => Ok(Outcome::Boolean(b)),
        QueryResults::Solutions(solutions) => {
            let mut out = Vec::new();
            for solution in solutions {
                let solution = solution.map_err(|e| format!("the SPARQL query failed: {e}"))?;
                out.push(
                    solution
                        .iter()
                        .map(|(variable, term)| (variable.as_str().to_owned(), term.clone()))
                        .collect(),
                );
            }
            Ok(Outcome::Solutions(out))
        }
        QueryResults::Graph(_) => Err("the query returned a graph".into()),
    }
}

/// Replaces `{?name}` and `{$name}` in a message template with the values
/// `lookup` gives (IRIs as written, literals by their lexical form).
pub(crate) fn fill_template(template: &str, lookup: impl Fn(&str) -> Option<Term>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let replaced = after
            .get(1..2)
            .filter(|marker| *marker == "?" || *marker == "$")
            .and_then(|_| after.find('}'))
            .and_then(|end| lookup(&after[2..end]).map(|term| (end, term)));
        match replaced {
            Some((end, term)) => {
                match term {
                    Term::Literal(l) => out.push_str(l.value()),
                    Term::NamedNode(n) => out.push_str(n.as_str()),
                    Term::BlankNode(b) => out.push_str(&b.to_string()),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::Literal;

    fn compile(text: &str, form: QueryForm) -> Result<CompiledQuery, String> {
        CompiledQuery::compile(
            text,
            &[("ex".into(), "http://example.org/".into())],
            form,
            &["lang".into()],
            Some(&PropertyPath::Predicate(NamedNode::new_unchecked(
                "http://example.org/p",
            ))),
        )
    }

    #[test]
    fn refuses_what_pre_binding_cannot_handle() {
        for (query, why) in [
            (
                "SELECT $this WHERE { $this ?p ?o MINUS { $this ?p 1 } }",
                "MINUS",
            ),
            ("SELECT $this WHERE { VALUES ?x { 1 } }", "VALUES"),
            (
                "SELECT $this WHERE { SERVICE <http://x> { ?a ?b ?c } }",
                "SERVICE",
            ),
            ("SELECT $this WHERE { BIND (1 AS $this) }", "AS ?this"),
            ("SELECT $this WHERE { BIND (1 AS ?lang) }", "AS ?lang"),
            (
                "SELECT $this WHERE { $this ?p ?o { SELECT ?o WHERE { ?o ?q ?r } } }",
                "subquery",
            ),
            (
                "SELECT $this WHERE { { SELECT * WHERE { FILTER ($this = ex:x) } } }",
                "SELECT *",
            ),
            ("SELECT $this WHERE { ?PATH ?p ?o }", "$PATH as subject"),
            ("SELECT ?x WHERE { ?x ?p ?o }", "no $this"),
            ("ASK { ?x ?p ?o }", "not SELECT"),
            ("SELECT $this WHERE { $this ex:p ?o", "syntax"),
        ] {
            assert!(
                compile(query, QueryForm::Select).is_err(),
                "{why} must be refused"
            );
        }
        assert!(compile("ASK { BIND (true AS ?value) }", QueryForm::Ask).is_err());
    }

    #[test]
    fn accepts_nested_pre_binding_and_path() {
        let q = compile(
            "SELECT $this ?value WHERE { $this $PATH ?value . { SELECT $this $lang WHERE { FILTER (bound($this)) } } FILTER (lang(?value) != $lang) }",
            QueryForm::Select,
        )
        .expect("valid");
        assert!(!q.reads_shapes_graph);
        let text = q.query.to_string();
        assert!(text.contains("<http://example.org/p>"), "{text}");
        assert!(!text.contains("PATH"), "{text}");
        let q = compile(
            "SELECT $this WHERE { GRAPH $shapesGraph { $currentShape ?p ?o } }",
            QueryForm::Select,
        )
        .expect("valid");
        assert!(q.reads_shapes_graph);
    }

    #[test]
    fn templates_take_variables_in_both_spellings() {
        let lookup = |name: &str| match name {
            "lang" => Some(Literal::from("de").into()),
            "this" => Some(NamedNode::new_unchecked("http://x/a").into()),
            _ => None,
        };
        assert_eq!(
            fill_template("{$this} needs \"{?lang}\" not {?other} {", lookup),
            "http://x/a needs \"de\" not {?other} {"
        );
    }
}

"""A real SPARQL client against a running katalog: SPARQLWrapper for SELECT,
ASK and CONSTRUCT (parsed by rdflib), in the formats harvesters ask for.

Usage: python3 sparqlwrapper_client.py http://127.0.0.1:PORT/sparql
"""
import sys

import rdflib
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

endpoint = sys.argv[1]
failures = []
passed = []


def check(label, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + label + (f": {detail}" if detail and not condition else ""))
    (passed if condition else failures).append(label)


# SELECT in JSON: datasets per country, as the European catalogue would count them.
sparql = SPARQLWrapper(endpoint)
sparql.setQuery("""
    PREFIX dcat: <http://www.w3.org/ns/dcat#>
    PREFIX kat: <https://w3id.org/katalog/ns#>
    SELECT ?country (COUNT(DISTINCT ?d) AS ?n) WHERE {
      GRAPH <urn:katalog:graph:records> { ?r kat:country ?country ; kat:recordType dcat:Dataset ;
                                             <http://xmlns.com/foaf/0.1/primaryTopic> ?d }
    } GROUP BY ?country""")
sparql.setReturnFormat(JSON)
rows = sparql.query().convert()["results"]["bindings"]
counts = {r["country"]["value"]: int(r["n"]["value"]) for r in rows}
check("SELECT JSON: Norway and Finland counted", counts.get("NO", 0) >= 20 and counts.get("FI", 0) >= 20, counts)

# The same over POST, in XML results.
sparql = SPARQLWrapper(endpoint)
sparql.setMethod(POST)
sparql.setQuery("SELECT ?title WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?title FILTER(lang(?title) = 'nb') }")
sparql.setReturnFormat(XML)
document = sparql.query().convert()
titles = [n.firstChild.data for n in document.getElementsByTagName("literal")]
check("SELECT XML over POST: Norwegian titles with æøå", any(c in t for t in titles for c in "æøå"), titles[:3])

# CSV.
sparql = SPARQLWrapper(endpoint)
sparql.setQuery("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 5")
sparql.setReturnFormat(CSV)
lines = sparql.query().convert().decode("utf-8").strip().splitlines()
check("SELECT CSV: header and 5 rows", lines[0].strip() == "d" and len(lines) == 6, lines)

# ASK.
sparql = SPARQLWrapper(endpoint)
sparql.setQuery("ASK { ?d <http://healthdataportal.eu/ns/health#numberOfUniqueIndividuals> ?n }")
sparql.setReturnFormat(JSON)
check("ASK: HealthDCAT-AP properties are there", sparql.query().convert().get("boolean") is True)

# CONSTRUCT in Turtle, parsed by rdflib.
sparql = SPARQLWrapper(endpoint)
sparql.setQuery("""
    PREFIX dcat: <http://www.w3.org/ns/dcat#>
    CONSTRUCT { ?d ?p ?o } WHERE { ?d a dcat:Dataset ; ?p ?o }""")
sparql.setReturnFormat(TURTLE)
graph = rdflib.Graph()
graph.parse(data=sparql.query().convert(), format="turtle")
datasets = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")))
check("CONSTRUCT Turtle parsed by rdflib", len(datasets) >= 40 and len(graph) > 400, (len(datasets), len(graph)))

# rdflib's own SPARQLStore, as a harvester built on rdflib would use it.
from rdflib.plugins.stores.sparqlstore import SPARQLStore

store = SPARQLStore(endpoint, returnFormat="json")
result = list(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
check("rdflib SPARQLStore query", int(result[0][0]) > 1000, result)

# Updates are refused.
sparql = SPARQLWrapper(endpoint)
sparql.setMethod(POST)
sparql.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
try:
    sparql.query()
    check("update refused", False, "the update was accepted")
except Exception as error:  # SPARQLWrapper raises on 4xx
    check("update refused", "403" in str(error) or "read-only" in str(error), str(error))

print(f"{len(passed)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)

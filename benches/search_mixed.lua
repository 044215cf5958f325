-- A mixed search workload for wrk: every request a query drawn at random
-- (seeded per thread, so runs repeat) from words in several languages,
-- disease codes, countries, age ranges, other filters, sort orders, pages
-- and display languages: about 280,000 distinct requests, so that an
-- answer cache only helps as much as repeats in real traffic would.
--
--   wrk -t2 -c16 -d20s -s benches/search_mixed.lua http://127.0.0.1:8088
local words = {
  "diabetes", "cancer", "kreft", "breast cancer", "brystkreft", "lung cancer",
  "asthma", "astma", "stroke", "hjerneslag", "dementia", "demens", "depression",
  "registry", "register", "registret", "cohort", "kohort", "biobank", "genomic",
  "children", "barn", "pregnancy", "svangerskapsdiabetes", "heart failure",
  "hjertesvikt", "obesity", "covid", "influenza", "prostate", "E11", "C50", "C34",
  "E10", "O24", "diabets", "canser", "Kreftregisteret", "cancer du sein", "Brustkrebs",
}
local countries = { "", "NO", "SE", "DK", "FI", "DE", "FR", "NL", "ES", "IT", "EE" }
local ages = { "", "&age_from=0&age_to=17", "&age_from=18&age_to=64", "&age_from=65", "&age_to=5" }
local others = { "", "", "&min_individuals=100", "&min_individuals=10000", "&health_theme=CANCER_DISEASE",
  "&access=PUBLIC", "&disease=E11", "&sort=modified", "&sort=title" }
local langs = { "", "", "&lang=nb", "&lang=sv", "&lang=de" }
local pages = { "", "", "", "&page=2", "&page=3", "&size=10" }

local function pick(list) return list[math.random(#list)] end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(1000 + (id or 0))
end

local function escape(text)
  return (text:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  local path = "/api/search?q=" .. escape(pick(words))
  local country = pick(countries)
  if country ~= "" then path = path .. "&country=" .. country end
  path = path .. pick(ages) .. pick(others) .. pick(langs) .. pick(pages)
  return wrk.format("GET", path)
end

// Replay queries through the built site's own search: Material's search worker, run in node
// against the site's search_index.json, so its query parsing, wildcards and scoring are the
// browser's. Usage: node search_worker.mjs SITE_DIR < queries.json > results.json
//
// Reads a JSON list of queries; writes, for each, the result links a reader sees, best first, as
// the result list renders them: per page, the sections that score as high as the page's best
// entry, or the page alone when no section does (the others fold under "N more on this page").
import { readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import vm from "node:vm"

const [site] = process.argv.slice(2)
const workers = join(site, "assets", "javascripts", "workers")
const script = readdirSync(workers).find(name => /^search\.\w+\.min\.js$/.test(name))

// The worker talks through the globals of a web worker: give it those, then post it messages.
let onMessage, reply
globalThis.self = globalThis
globalThis.addEventListener = (type, listener) => { onMessage = listener }
globalThis.postMessage = message => reply(message)
vm.runInThisContext(readFileSync(join(workers, script), "utf8"))
const ask = message => new Promise(resolve => {
  reply = resolve
  onMessage({ data: message })
})

// Material's message types: 0 sets the index up, 2 is a query (1 and 3 are their answers).
const SETUP = 0
const QUERY = 2
const index = JSON.parse(readFileSync(join(site, "search", "search_index.json"), "utf8"))
await ask({ type: SETUP, data: { ...index, options: { suggest: false } } })

function shownLinks(group) {
  const best = group[0].score
  const sections = group.filter(entry => entry.location.includes("#"))
  const shown = sections.filter(entry => entry.score >= best)
  const page = group.find(entry => !entry.location.includes("#"))
  return shown.length ? shown.map(entry => entry.location) : [page.location]
}

const results = []
for (const query of JSON.parse(readFileSync(0, "utf8"))) {
  const { data } = await ask({ type: QUERY, data: query })
  results.push(data.items.flatMap(shownLinks))
}
console.log(JSON.stringify(results))

-- bench/serve_wrk.lua - wrk's script for bench/serve.sh: POST /recommend
-- with one session per request, cycling through the bodies of the file
-- named by the SERVE_BODIES environment variable (one JSONL line each);
-- with SERVE_BAD_EVERY=N every Nth request is a bad one instead (malformed
-- JSON, an unknown type, events out of order, in turn).  Prints one line
-- at the end: requests/s, p50/p99/p999 latency, and the answers counted by
-- status (200, 400, other) against the good and bad requests sent.
local bodies = {}
local i = 0
local bad_every = tonumber(os.getenv("SERVE_BAD_EVERY") or "0")
local bad = {
	'{"session":1,"events":[{"aid":1,"ts":5,"type":"clicks"}',
	'{"session":1,"events":[{"aid":1,"ts":5,"type":"views"}]}',
	'{"session":1,"events":[{"aid":1,"ts":9,"type":"clicks"},{"aid":2,"ts":5,"type":"clicks"}]}',
}
local threads = {}
sent_good, sent_bad, got200, got400, other = 0, 0, 0, 0, 0

function setup(thread)
	threads[#threads + 1] = thread
end

function init(args)
	for line in io.lines(os.getenv("SERVE_BODIES")) do
		bodies[#bodies + 1] = line
	end
	i = math.random(#bodies)
end

function request()
	i = i + 1
	local body
	if bad_every > 0 and i % bad_every == 0 then
		body = bad[(i / bad_every) % #bad + 1]
		sent_bad = sent_bad + 1
	else
		body = bodies[i % #bodies + 1]
		sent_good = sent_good + 1
	end
	return wrk.format("POST", "/recommend", { ["Content-Type"] = "application/x-ndjson" }, body)
end

function response(status, headers, body)
	if status == 200 then
		got200 = got200 + 1
	elseif status == 400 then
		got400 = got400 + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local s = summary.duration / 1e6
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
		summary.errors.timeout
	local c = { sent_good = 0, sent_bad = 0, got200 = 0, got400 = 0, other = 0 }
	for _, t in ipairs(threads) do
		for k, _ in pairs(c) do
			c[k] = c[k] + t:get(k)
		end
	end
	io.write(string.format("RESULT %.0f req/s p50 %.3f ms p99 %.3f ms p999 %.3f ms requests %d socket errors %d; sent %d good %d bad, answered %d x 200 %d x 400 %d other\n",
		summary.requests / s, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
		latency:percentile(99.9) / 1e3, summary.requests, errors, c.sent_good, c.sent_bad,
		c.got200, c.got400, c.other))
end

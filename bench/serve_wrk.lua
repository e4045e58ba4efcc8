-- bench/serve_wrk.lua - wrk's script for bench/serve.sh: POST /recommend
-- with one session per request, cycling through the bodies of the file
-- named by the SERVE_BODIES environment variable (one JSONL line each);
-- prints requests/s and the p50/p99/p999 latency as one line at the end.
local bodies = {}
local i = 0

function init(args)
	for line in io.lines(os.getenv("SERVE_BODIES")) do
		bodies[#bodies + 1] = line
	end
	i = math.random(#bodies)
end

function request()
	i = i % #bodies + 1
	return wrk.format("POST", "/recommend", { ["Content-Type"] = "application/x-ndjson" }, bodies[i])
end

function done(summary, latency, requests)
	local s = summary.duration / 1e6
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
		summary.errors.status + summary.errors.timeout
	io.write(string.format("RESULT %.0f req/s p50 %.3f ms p99 %.3f ms p999 %.3f ms requests %d errors %d\n",
		summary.requests / s, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
		latency:percentile(99.9) / 1e3, summary.requests, errors))
end

# busybox httpd -vv log lines -> JSON lines (busybox awk; -v svc=NAME).
#   "1.2.3.4:5678: url:/health"      remembered per peer
#   "1.2.3.4:5678: response:200"     one {"event":"request",...} line
#   anything else                    one {"event":"log","msg":...} line
function esc(s) {
	gsub(/[\001-\037\177]/, "", s)
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return s
}
function now() { return strftime("%Y-%m-%dT%H:%M:%SZ") }
{
	i = index($0, ": url:")
	if (i > 0) {
		peer = substr($0, 1, i - 1)
		path = substr($0, i + 6)
		if (index(path, "/cgi-bin/") == 1) {
			# CGI output carries its own status line: none is logged.
			printf "{\"ts\":\"%s\",\"service\":\"%s\",\"event\":\"request\",\"remote\":\"%s\",\"path\":\"%s\"}\n", now(), svc, esc(peer), esc(path)
			fflush()
		} else
			url[peer] = path
		next
	}
	i = index($0, ": response:")
	if (i > 0) {
		peer = substr($0, 1, i - 1)
		code = substr($0, i + 11) + 0
		path = (peer in url) ? url[peer] : ""
		delete url[peer]
		printf "{\"ts\":\"%s\",\"service\":\"%s\",\"event\":\"request\",\"remote\":\"%s\",\"path\":\"%s\",\"status\":%d}\n", now(), svc, esc(peer), esc(path), code
		fflush()
		next
	}
	printf "{\"ts\":\"%s\",\"service\":\"%s\",\"event\":\"log\",\"msg\":\"%s\"}\n", now(), svc, esc($0)
	fflush()
}

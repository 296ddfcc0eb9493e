#!/usr/bin/env bash
# The emulated S3's own behaviours, with AWS CLI v2 as a client; run by
# interop/run.sh (step 9) with its AWS_* environment (keys test:test, no
# profile), on a bucket of its own:
#   - tags change and nothing else (x-amz-tagging on PUT, put-object-tagging);
#   - a 20 MiB `aws s3 cp` (multipart upload) and a copy inside S3 (the CLI
#     copies in ranges with UploadPartCopy), list-multipart-uploads;
#   - conditional requests (If-Match on HEAD: 412, If-None-Match on GET: 304);
#   - checksums: a wrong --checksum-sha256 is BadDigest and stores nothing;
#   - a call the emulator does not serve (put-object-legal-hold) is
#     NotImplemented and leaves the object as it was;
#   - presigned URLs (path style and virtual-hosted, BUCKET.localhost) work
#     and expire;
#   - a foreign Host and a web page's Origin are refused, with no CORS header.
#
# Usage: interop/s3_cli_check.sh ENDPOINT WORKDIR
set -euo pipefail
EP=$1 W=$2
PORT=${EP##*:}
AWS_BIN=/usr/bin/aws PY=/usr/bin/python3
B=interop-s3-features
aws() { timeout --kill-after=5 "${INTEROP_CALL_TIMEOUT:-90}" "$AWS_BIN" --endpoint-url "$EP" --output json "$@"; }
fail() {
	echo "s3 check: $*" >&2
	exit 1
}
ok() { printf '    ok: %s\n' "$*"; }
# http METHOD URL [HEADER: VALUE]...: Python's http.client, which sends
# exactly the Host it is given; prints the status, the response headers
# and the body.
http() {
	"$PY" - "$@" <<'EOF'
import http.client, sys, urllib.parse
method, url, *hdrs = sys.argv[1:]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection("127.0.0.1", u.port, timeout=30)
h = dict(x.split(": ", 1) for x in hdrs)
c.request(method, u.path + ("?" + u.query if u.query else ""), headers=h)
r = c.getresponse()
print(r.status)
for k, v in r.getheaders():
    print("%s: %s" % (k.lower(), v))
print()
print(r.read().decode(errors="replace"))
EOF
}
b64sha256() { "$PY" -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }

aws s3 mb "s3://$B" >/dev/null
printf hello >"$W/hello.txt"
aws s3api put-object --bucket "$B" --key tagged --body "$W/hello.txt" --tagging 'team=data' >/dev/null
[[ $(aws s3api get-object-tagging --bucket "$B" --key tagged --query 'TagSet[0].Value' --output text) == data ]] ||
	fail "put-object --tagging team=data: get-object-tagging does not show it"
etag=$(aws s3api head-object --bucket "$B" --key tagged --query ETag --output text)
aws s3api put-object-tagging --bucket "$B" --key tagged --tagging 'TagSet=[{Key=team,Value=ops}]'
[[ $(aws s3api get-object-tagging --bucket "$B" --key tagged --query 'TagSet[0].Value' --output text) == ops ]] ||
	fail "put-object-tagging did not change the tags"
[[ $(aws s3 cp "s3://$B/tagged" -) == hello ]] || fail "put-object-tagging changed the object's bytes"
[[ $(aws s3api head-object --bucket "$B" --key tagged --query ETag --output text) == "$etag" ]] || fail "put-object-tagging changed the ETag"
ok "tags: put-object --tagging, put-object-tagging; the object's bytes and ETag unchanged"

head -c $((20 << 20)) /dev/urandom >"$W/big.bin"
aws s3 cp "$W/big.bin" "s3://$B/big.bin" --only-show-errors
aws s3 cp "s3://$B/big.bin" "s3://$B/copy.bin" --only-show-errors
aws s3 cp "s3://$B/copy.bin" "$W/copy.bin" --only-show-errors
cmp -s "$W/big.bin" "$W/copy.bin" || fail "the copy of a 20 MiB object differs from it"
for k in big.bin copy.bin; do
	e=$(aws s3api head-object --bucket "$B" --key "$k" --query ETag --output text)
	[[ $e == *-3\" ]] || fail "$k has ETag $e: not the 3 parts of a multipart upload (or copy)"
done
id=$(aws s3api create-multipart-upload --bucket "$B" --key pending --query UploadId --output text)
[[ $(aws s3api list-multipart-uploads --bucket "$B" --query 'Uploads[].UploadId' --output text) == "$id" ]] ||
	fail "list-multipart-uploads does not list the upload in progress"
aws s3api abort-multipart-upload --bucket "$B" --key pending --upload-id "$id"
[[ $(aws s3api list-multipart-uploads --bucket "$B" --query 'length(Uploads || `[]`)') == 0 ]] ||
	fail "list-multipart-uploads lists an aborted upload"
ok "aws s3 cp of 20 MiB up, inside S3 (UploadPartCopy) and down: same bytes; list-multipart-uploads"

out=$(aws s3api head-object --bucket "$B" --key tagged --if-match '"0123456789abcdef0123456789abcdef"' 2>&1) &&
	fail "head-object --if-match with a wrong ETag succeeded"
[[ $out == *412* || $out == *"Precondition Failed"* ]] || fail "head-object --if-match with a wrong ETag: $out"
out=$(aws s3api get-object --bucket "$B" --key tagged --if-none-match "$etag" "$W/notmodified" 2>&1) &&
	fail "get-object --if-none-match with its ETag succeeded"
[[ $out == *304* || $out == *"Not Modified"* ]] || fail "get-object --if-none-match with its ETag: $out"
ok "head-object --if-match (wrong): 412; get-object --if-none-match (its ETag): 304"

printf other >"$W/other.txt"
out=$(aws s3api put-object --bucket "$B" --key summed --body "$W/hello.txt" --checksum-sha256 "$(b64sha256 "$W/other.txt")" 2>&1) &&
	fail "put-object with a wrong --checksum-sha256 succeeded"
[[ $out == *BadDigest* ]] || fail "put-object with a wrong --checksum-sha256: $out"
aws s3api head-object --bucket "$B" --key summed >/dev/null 2>&1 && fail "a PUT refused as BadDigest stored the object"
aws s3api put-object --bucket "$B" --key summed --body "$W/hello.txt" --checksum-sha256 "$(b64sha256 "$W/hello.txt")" >/dev/null
[[ $(aws s3api head-object --bucket "$B" --key summed --checksum-mode ENABLED --query ChecksumSHA256 --output text) == "$(b64sha256 "$W/hello.txt")" ]] ||
	fail "head-object --checksum-mode ENABLED does not report the stored SHA256"
ok "put-object --checksum-sha256: wrong is BadDigest and stores nothing, right is stored and reported"

out=$(aws s3api put-object-legal-hold --bucket "$B" --key tagged --legal-hold Status=ON 2>&1) &&
	fail "put-object-legal-hold succeeded (Object Lock is not served)"
[[ $out == *NotImplemented* ]] || fail "put-object-legal-hold: $out"
[[ $(aws s3 cp "s3://$B/tagged" -) == hello ]] || fail "put-object-legal-hold changed the object"
ok "put-object-legal-hold: NotImplemented, the object untouched"

url=$(aws s3 presign "s3://$B/tagged" --expires-in 300)
resp=$(http GET "$url")
[[ $(head -n 1 <<<"$resp") == 200 && $(tail -n 1 <<<"$resp") == hello ]] || fail "a presigned GET: $resp"
printf '[default]\ns3 =\n  addressing_style = virtual\n' >"$W/aws-config-virtual"
vurl=$(AWS_CONFIG_FILE=$W/aws-config-virtual timeout 60 "$AWS_BIN" --endpoint-url "http://localhost:$PORT" s3 presign "s3://$B/tagged" --expires-in 300)
[[ $vurl == "http://$B.localhost:$PORT/tagged?"* ]] || fail "the CLI did not presign a virtual-hosted URL: $vurl"
resp=$(http GET "$vurl" "Host: $B.localhost:$PORT")
[[ $(head -n 1 <<<"$resp") == 200 && $(tail -n 1 <<<"$resp") == hello ]] || fail "a virtual-hosted presigned GET: $resp"
url=$(aws s3 presign "s3://$B/tagged" --expires-in 1)
sleep 2
resp=$(http GET "$url")
[[ $(head -n 1 <<<"$resp") == 403 && $resp == *"Request has expired"* ]] || fail "an expired presigned GET: $resp"
ok "presigned GET (path style and $B.localhost) 200; expired 403 AccessDenied"

resp=$(http GET "$EP/" "Host: attacker.example")
[[ $(head -n 1 <<<"$resp") == 403 ]] || fail "a request with Host attacker.example: $resp"
url=$(aws s3 presign "s3://$B/tagged" --expires-in 300)
resp=$(http GET "$url" "Origin: http://attacker.example")
[[ $(head -n 1 <<<"$resp") == 403 && $resp != *access-control-* ]] || fail "a presigned GET from a web page's Origin: $resp"
resp=$(http OPTIONS "$EP/$B/tagged" "Origin: http://attacker.example" "Access-Control-Request-Method: PUT")
[[ $(head -n 1 <<<"$resp") == 403 && $resp != *access-control-* ]] || fail "a CORS preflight: $resp"
ok "Host attacker.example: 403; Origin http://attacker.example (GET, preflight): 403 without CORS headers"

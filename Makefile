# The project's checks. `make test` is what CI runs (.ci/run).

.PHONY: test peers vet bench demo

# Everything: the npm peers for the interop tests, vet, staticcheck, gofmt, and the race-enabled tests.
test: peers vet
	go test -race -count=1 ./...

# The independent implementations the interop tests run against (pinned in interop/package-lock.json).
peers:
	npm ci --prefix interop --no-audit --no-fund --loglevel=error

vet:
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './interop/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

bench:
	go test -run '^$$' -bench . -benchmem ./...

demo:
	go run ./cmd/cognito-token demo

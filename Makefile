# Otherix build rules. `make help` lists the targets.
SHELL := /bin/bash
CONFIG ?= Release
RESULTS := .artifacts/test-results
DOTNET ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1


# bin/<name> links into bin/.lib/<name>/, one publish folder per program.
.PHONY: help host dev lima-ensure-one local-dev-start dev-stop bootstrap-dev seed-dev deploy-dev clean-dev status publish bench cli-docs build build-api build-agent build-cli bin bindings test fixture fixture-cloud etcd-reset clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

host: ## install and start libvirt + QEMU, report KVM or TCG (root; idempotent)
	@$(if $(filter 0,$(shell id -u)),,sudo) tools/host/setup.sh

dev: host bin fixture ## the whole dev cluster on this machine: host, bin/, control plane, agent, node ready, CLI (re-runnable)
	@dev/scripts/local-dev-start.sh

local-dev-start: ## start control plane + agent + CLI cluster + fixture file server (bin/ must be built)
	@dev/scripts/local-dev-start.sh

dev-stop: ## stop what local-dev-start started (PID files or units, never by name); state stays
	@dev/scripts/dev-stop.sh

bootstrap-dev: ## stage the agent host (Lima VM on macOS; libvirt, agent and .local/agent on Linux); does not start it
	@dev/scripts/bootstrap-dev.sh

seed-dev: ## join the dev agent: CLI cluster, join token, bootstrap files, start the agent, wait for node-dev
	@dev/scripts/seed-dev.sh

deploy-dev: ## rebuild and restart the dev agent; certificate untouched, node stays ready
	@dev/scripts/deploy-dev.sh

clean-dev: ## remove the dev agent (config, bootstrap files, certificate; the Lima VM on macOS)
	@dev/scripts/clean-dev.sh

lima-ensure-one: ## macOS: create/start the otherix-dev Lima VM (nested virtualization only on Apple M3+ with macOS 15+)
	@dev/scripts/lima.sh ensure

status: ## what runs on this machine
	@tools/dev/status.sh

build: ## compile the solution (warnings are errors)
	$(DOTNET) build Otherix.sln -c $(CONFIG)

# The CLI is published ReadyToRun for this machine's runtime identifier: precompiled code starts
# ~20 ms sooner (make bench). The daemons run for days, so they stay portable IL.
RID ?= $(shell $(DOTNET) --info 2>/dev/null | awk '/RID:/ { print $$2; exit }')
R2R := -r $(RID) --self-contained false -p:PublishReadyToRun=true

define publish
	@name=$(1); project=$(2); rm -rf bin/.lib/$$name && \
	$(DOTNET) publish $$project -c $(CONFIG) -o bin/.lib/$$name --nologo -v quiet $(3) && \
	ln -sfn .lib/$$name/$$name bin/$$name && echo "built bin/$$name"
endef

build-cli: ## publish bin/otherix
	$(call publish,otherix,Otherix.Cli,$(R2R))

build-api: ## publish bin/otherix-api (the control plane)
	$(call publish,otherix-api,Otherix.Control)

build-agent: ## publish bin/otherix-agent
	$(call publish,otherix-agent,Otherix.Agent)

bin: build-cli build-api build-agent ## publish all three programs into bin/

publish: ## self-contained bundles for hosts without .NET: dist/<rid>/{otherix,otherix-api,otherix-agent (+ templates)}
	@tools/dev/publish.sh $(RID)

bindings: ## regenerate Otherix.Native/Generated from the installed libvirt headers
	$(DOTNET) run --project tools/Otherix.Bindgen -c $(CONFIG) -- --out Otherix.Native/Generated

fixture: ## build the tiny fixture guest image into .cache/fixture (cached)
	@tools/fixture/build.sh >/dev/null

fixture-cloud: ## opt-in: a real Debian 12 image with cloud-init (debootstrap, ~2 min, root)
	@tools/fixture/build-cloud.sh

test: ## run every test; prints "tests: N passed, N failed, N skipped"
	@if tools/fixture/build.sh >/dev/null 2>.artifacts-fixture.log; then rm -f .artifacts-fixture.log; \
	 else echo "test: fixture image not built ($$(tail -n 1 .artifacts-fixture.log)); tests that need it are ignored (failed in CI)"; rm -f .artifacts-fixture.log; fi
	@rm -rf $(RESULTS)
	@# -m:1: one test project at a time; they share the host's libvirtd (and one restarts it).
	@$(DOTNET) test Otherix.sln -c $(CONFIG) -m:1 --logger trx --results-directory $(RESULTS); \
	 rc=$$?; tools/test/summary.sh $(RESULTS); exit $$rc

bench: ## start-up benchmarks of the CLI (tools/bench), as ratios against a baseline measured in the same run
	@tools/bench/run.sh

cli-docs: ## regenerate docs/cli-reference.md from every command's --help
	@$(DOTNET) run --project Otherix.Cli -c $(CONFIG) -- help-reference > docs/cli-reference.md && echo "wrote docs/cli-reference.md"

etcd-reset: ## wipe the dev control-plane state (.local/control: LiteDB state, JWT secret); the name is the reference system's
	rm -rf .local/control
	@echo "dev state wiped; the next otherix-api start bootstraps again"

clean: ## remove build output (keeps the fixture cache)
	rm -rf bin .artifacts */bin */obj tests/*/bin tests/*/obj tools/*/bin tools/*/obj

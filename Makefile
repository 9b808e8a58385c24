# Conveyor: the two commands a newcomer needs.
#   make demo  - start the whole system on embedded defaults and run a real scenario
#   make test  - run the full test suite (starts its own RabbitMQ and PostgreSQL)
VENV ?= .venv

.PHONY: demo test lint bootstrap

bootstrap:
	@VENV=$(VENV) scripts/bootstrap.sh

demo: bootstrap
	$(VENV)/bin/conveyor demo

test: bootstrap
	@VENV=$(VENV) scripts/run-tests.sh

lint: bootstrap
	$(VENV)/bin/ruff check .

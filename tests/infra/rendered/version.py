"""The Copilot release whose templates the model renders. The buildspecs pin the same binary
(tests/infra/test_pipeline.py holds them to it): a model of one version and a binary of another
would check templates nobody deploys."""

COPILOT_VERSION = "v1.33.2"

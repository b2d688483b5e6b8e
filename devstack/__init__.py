"""The local stack: the AWS emulator, the resources from the same templates that Copilot
deploys (addons/), a demo user and the API, on this machine with no AWS account."""

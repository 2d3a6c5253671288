"""The embedded local cloud: moto as the AWS API plus what moto does not do (gateway, pollers,
in-process Lambda, schedules, mailbox), provisioned from template.yaml."""

"""The sandbox: try circlebot without Telegram — emulator, bot, demo data and a web page.

`circlebot sandbox` (see `bot.sandbox.runtime.run_sandbox`) starts everything in one process on
127.0.0.1; `./scripts/run` starts it when no token is configured.
"""

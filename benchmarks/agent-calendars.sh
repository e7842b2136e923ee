#!/usr/bin/env bash
# Agents' calendar feeds (issue 19): 500 agents x 50 open task tickets. Both variants of every agent's feed
# (GET /calendars/{token}.ics, VEVENT, and GET /calendars/{token}/tasks.ics, VTODO), each fetched once cold (a render),
# ROUNDS times cached and ROUNDS times with its ETag (304), against a static file of the same size per variant served
# by the same host (the service's own static file middleware), fetched as often, in one run.
# `ChannelService calendars bench` starts the whole service (Release, Kestrel, a new SQLite database) on loopback,
# stores the tasks through the service's own store, and prints median and p95 latency, requests per second and bytes
# allocated per request for every case, each as a ratio feed / static file, the render cache's managed memory per
# agent and the process's peak working set.
# Knobs (environment): AGENTS (500), TASKS (50), ROUNDS (3), CONCURRENCY (4).
# Needs: dotnet.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$ROOT/ChannelService/ChannelService.csproj" -c Release -nologo -v quiet >/dev/null
APP="$ROOT/ChannelService/bin/Release/net10.0/ChannelService.dll"
dotnet "$APP" calendars bench --agents "${AGENTS:-500}" --tasks "${TASKS:-50}" --rounds "${ROUNDS:-3}" --concurrency "${CONCURRENCY:-4}"

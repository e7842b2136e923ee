#!/usr/bin/env bash
# Cost of an iCalendar feed sync when nothing changed, as a ratio of a full first sync of the same feed, all in
# one process run: `ChannelService feed bench` serves a generated feed from Kestrel on 127.0.0.1 (free port) and
# syncs it through IcsFeedSource + SourceItemStore into a temporary SQLite file.
#   full first sync       download, parse, diff, store every item (the reference)
#   304                   conditional GET with the stored ETag answered 304: no body, no parse
#   same body             ETag removed on the server: full download, SHA-256 equal to the stored one, no parse
#   DTSTAMP rewritten     every DTSTAMP changed (Google re-exports): full download and parse, zero changes
#
# Knobs: UNITS (one unit = 15,000 VEVENT + 5,000 VTODO, about 17 MB; fractions such as 0.25 allowed; default 1),
#        RUNS (repeats of each unchanged case, median reported; default 20). Needs only dotnet.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNITS=${UNITS:-1}
RUNS=${RUNS:-20}

dotnet build "$ROOT/ChannelService/ChannelService.csproj" -c Release -nologo -v quiet >/dev/null
dotnet "$ROOT/ChannelService/bin/Release/net10.0/ChannelService.dll" feed bench --units "$UNITS" --runs "$RUNS"

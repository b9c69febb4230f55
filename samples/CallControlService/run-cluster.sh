#!/usr/bin/env bash
# Three CallControlService instances as one Akka.Cluster on this machine, sharing one standalone Calling API emulator.
#
#   bash samples/CallControlService/run-cluster.sh
#
#   emulator        http://127.0.0.1:8088   (project emulator-project, token demo-token, signing key demo-key)
#   instance 1..3   http://127.0.0.1:5081 .. 5083   (Akka.Remote on 127.0.0.1:4053 .. 4055; 4053 is the seed node)
#
# Ctrl+C stops everything. Any instance takes any command: the call's actor lives on one node of the cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build samples/CallControlService -nologo -v q
dotnet build src/Playback.Emulator.Tool -nologo -v q

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

dotnet run --no-build --project src/Playback.Emulator.Tool -- --port 8088 --api-token demo-token --signing-key demo-key --speed 5 &
pids+=($!)

for i in 1 2 3; do
  http=$((5080 + i))
  akka=$((4052 + i))
  dotnet run --no-build --project samples/CallControlService -- \
    --Urls="http://127.0.0.1:$http" \
    --Logging:LogLevel:Default=Warning \
    --Playback:PublicBaseUrl="http://127.0.0.1:$http" \
    --Playback:BaseUrl="http://127.0.0.1:8088" \
    --Playback:ProjectId=emulator-project \
    --Playback:ApiToken=demo-token \
    --Playback:SigningKey=demo-key \
    --Playback:Cluster:Hostname=127.0.0.1 \
    --Playback:Cluster:Port="$akka" \
    --Playback:Cluster:SeedNodes:0="akka.tcp://call-control@127.0.0.1:4053" &
  pids+=($!)
done

for port in 5081 5082 5083; do
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  curl -fs "http://127.0.0.1:$port/health" >/dev/null || { echo "instance on $port did not become healthy" >&2; exit 1; }
done

cat <<'USAGE'

Cluster up: instances on 5081, 5082, 5083. Try:
  call=$(curl -s -X POST http://127.0.0.1:8088/__emulator/calls -H 'Content-Type: application/json' \
           -d '{"status_url":"http://127.0.0.1:5082/signalwire/events"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  curl -s -X POST http://127.0.0.1:5081/calls/$call/hold-music      # start on instance 1
  curl -s http://127.0.0.1:5083/calls/$call/playbacks               # state seen on instance 3
  curl -s -X POST http://127.0.0.1:5083/calls/$call/pause           # control from instance 3
  curl -N http://127.0.0.1:5082/events                              # every call's events on instance 2
Stop an instance (kill its process) and the others take its calls over.
USAGE
wait

#!/bin/sh
# A statically linked Linux hasim (Swift runtime and Foundation inside the binary), so a batch
# node or a container image needs no Swift toolchain: copy .build/release/hasim anywhere.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product hasim --static-swift-stdlib
ls -l .build/release/hasim

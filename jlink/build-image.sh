#!/usr/bin/env bash
# Builds the self-contained image: a trimmed Java runtime (jlink), the jars, libjllm.so and bin/jllm.
# Usage: jlink/build-image.sh OUT_DIR   (./jllm image [DIR] builds what it needs first)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: build-image.sh OUT_DIR}"
: "${JAVA_HOME:?JAVA_HOME must point to a JDK 25}"
JAR="$ROOT/java/target/jllm-server.jar"
LIB="$ROOT/build/native/native/libjllm.so"
[ -f "$JAR" ] && [ -f "$LIB" ] || { echo "build first: ./jllm build" >&2; exit 1; }

# Modules the jars need, from jdeps; jdk.crypto.ec for TLS clients, jdk.zipfs for DJL's resource loading.
MODULES=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 \
  --class-path "$ROOT/java/target/lib/*" "$JAR" "$ROOT"/java/target/lib/*.jar 2>/dev/null | tail -1 || true)
[[ "$MODULES" =~ ^[a-z0-9.,]+$ ]] || MODULES="java.base,java.logging,java.desktop,java.management,java.naming,java.sql,java.net.http"
MODULES="$MODULES,jdk.crypto.ec,jdk.zipfs,jdk.unsupported"

rm -rf "$OUT"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-6 --output "$OUT"
mkdir -p "$OUT/app"
cp "$JAR" "$ROOT"/java/target/lib/*.jar "$OUT/app/"
cp "$LIB" "$OUT/lib/"
rm -f "$OUT/bin/jllm"
cat > "$OUT/bin/jllm" <<'LAUNCH'
#!/bin/sh
# jllm from the self-contained image: no JDK needed. The runtime finds libjllm.so in the image's lib/.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
exec "$HERE/bin/java" --enable-native-access=ALL-UNNAMED $JLLM_JAVA_OPTS -cp "$HERE/app/*" dev.jllm.cli.Main "$@"
LAUNCH
chmod +x "$OUT/bin/jllm"
echo "image: $OUT ($(du -sh "$OUT" | cut -f1)); modules: $MODULES" >&2

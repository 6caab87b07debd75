#!/usr/bin/env bash
# Links the package's DLL for Windows the way R does on Windows: the C
# entry point, the Rust static library and the system libraries that
# src/Makevars.win.in names. R.dll itself is not here; an import library
# stands in for it, made of the symbols the library takes from R (those
# that Linux's libR exports, and UserBreak, R's user-break flag, which
# only R.dll has). A system function that Makevars.win.in fails to name
# is an undefined reference, and the link fails.
#   link-dll.sh <libcrew.a> <output directory>
set -euo pipefail
cd "$(dirname "$0")/../.."
library=$1
out=$2
mkdir -p "$out"

libs=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' src/Makevars.win.in |
  sed -n 's/^PKG_LIBS = //p' | tr -s ' \t' '\n' | grep -E '^-l' | grep -vx -- '-lcrew')

r_library=$(Rscript -e 'cat(file.path(R.home("lib"), "libR.so"))')
{
  echo "LIBRARY R.dll"
  echo "EXPORTS"
  comm -12 \
    <(x86_64-w64-mingw32-nm --undefined-only "$library" 2> /dev/null | awk '{ print $NF }' | sort -u) \
    <(nm -D --defined-only "$r_library" | awk '{ print $NF }' | sort -u)
  echo "UserBreak DATA"
} > "$out/R.def"
x86_64-w64-mingw32-dlltool -d "$out/R.def" -l "$out/libR.a"

x86_64-w64-mingw32-gcc -O2 -c src/entrypoint.c -o "$out/entrypoint.o"
# shellcheck disable=SC2086
x86_64-w64-mingw32-gcc -shared -o "$out/crew.dll" "$out/entrypoint.o" \
  -L"$(dirname "$library")" -lcrew $libs -L"$out" -lR -Wl,--no-undefined
echo "linked $out/crew.dll ($(du -h "$out/crew.dll" | cut -f1)) with $(echo $libs | tr '\n' ' ')and $(($(wc -l < "$out/R.def") - 3)) symbols of R"

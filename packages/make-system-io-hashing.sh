#!/usr/bin/env bash
# Yarp.ReverseProxy depends on System.IO.Hashing, which the package source lacks (DEPENDENCIES.md).
# This repacks the SDK's own System.IO.Hashing.dll (MIT) as package System.IO.Hashing 7.0.0 into
# packages/local, the folder feed NuGet.config lists. Run it again only to rebuild that package.
set -euo pipefail
cd "$(dirname "$0")"
dll=$(ls /usr/share/dotnet/sdk/*/System.IO.Hashing.dll | sort -V | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib/net10.0" local
cp "$dll" "$work/lib/net10.0/"
cat > "$work/System.IO.Hashing.nuspec" <<'NUSPEC'
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>System.IO.Hashing</id>
    <version>7.0.0</version>
    <authors>Microsoft</authors>
    <license type="expression">MIT</license>
    <description>Repack of the .NET SDK's System.IO.Hashing.dll for a package source that lacks the package.</description>
    <dependencies><group targetFramework="net10.0" /></dependencies>
  </metadata>
</package>
NUSPEC
cat > "$work/[Content_Types].xml" <<'TYPES'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
</Types>
TYPES
rm -f local/System.IO.Hashing.7.0.0.nupkg
(cd "$work" && python3 -c "import zipfile,os,sys
z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)
for f in ['[Content_Types].xml','System.IO.Hashing.nuspec','lib/net10.0/System.IO.Hashing.dll']: z.write(f,f)
z.close()" "$OLDPWD/local/System.IO.Hashing.7.0.0.nupkg")
echo "wrote packages/local/System.IO.Hashing.7.0.0.nupkg"

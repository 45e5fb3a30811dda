#!/usr/bin/env pwsh
# Bootstrap for MlOps.Pipelines (PowerShell; the same steps as build.sh): checks the .NET SDK, fetches native
# libraries once, compiles build/ only when one of its sources changed, then runs it with every argument.
$ErrorActionPreference = 'Stop'
$Root = $PSScriptRoot
$Bin = Join-Path $Root '.nuke/bin'
$Stamp = Join-Path $Bin '.sources-stamp'
$DuckDbPackageVersion = '1.5.6-r.1'

function Fail([string] $Message) {
    [Console]::Error.WriteLine("build.ps1: $Message")
    exit 2
}

# Everything the compiled build program depends on, as "path size mtime" lines, hashed.
function Get-SourcesStamp {
    $folders = 'build', 'src', 'pipelines' | ForEach-Object { Join-Path $Root $_ }
    $files = @(Get-ChildItem -Path $folders -Recurse -File -Include *.cs, *.csproj, *.props, *.targets |
        Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' })
    $files += @(Get-ChildItem -Path $Root -File | Where-Object { $_.Name -like 'Directory.*' -or $_.Name -eq 'global.json' })
    $native = Join-Path $Root '.nuke/native'
    if (Test-Path $native) { $files += @(Get-ChildItem -Path $native -File) }
    $lines = $files | Sort-Object FullName | ForEach-Object { "$($_.FullName) $($_.Length) $($_.LastWriteTimeUtc.Ticks)" }
    $bytes = [System.Text.Encoding]::UTF8.GetBytes(($lines -join "`n"))
    [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
}

function Invoke-Build([string[]] $Arguments) {
    & dotnet (Join-Path $Bin 'build.dll') @Arguments
    exit $LASTEXITCODE
}

# Fast path: nothing changed since the last compile.
if ((Test-Path (Join-Path $Bin 'build.dll')) -and (Test-Path $Stamp) -and ((Get-SourcesStamp) -eq (Get-Content $Stamp -Raw).Trim())) {
    Invoke-Build $args
}

$install = 'Install the .NET SDK 10 or newer: https://dotnet.microsoft.com/download, then run ./build.ps1 again.'
if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { Fail "the 'dotnet' command was not found. $install" }
$newest = (& dotnet --list-sdks | ForEach-Object { [int]($_ -split '\.')[0] } | Measure-Object -Maximum).Maximum
if (-not $newest -or $newest -lt 10) { Fail "found .NET SDK $newest, but 10 or newer is needed. $install" }

# DuckDB's C library (MIT) from its npm package, cached per user so fresh clones do not download it again.
$architecture = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
if ($IsWindows -or $env:OS -eq 'Windows_NT') { $platform = "win32-$architecture"; $library = 'duckdb.dll' }
elseif ($IsMacOS) { $platform = "darwin-$architecture"; $library = 'libduckdb.dylib' }
else { $platform = "linux-$architecture"; $library = 'libduckdb.so' }
$target = Join-Path $Root ".nuke/native/$library"
if (-not (Test-Path $target)) {
    $cacheRoot = if ($env:XDG_CACHE_HOME) { $env:XDG_CACHE_HOME } elseif ($env:LOCALAPPDATA) { $env:LOCALAPPDATA } else { Join-Path $HOME '.cache' }
    $cache = Join-Path $cacheRoot "mlops-pipelines/duckdb-$DuckDbPackageVersion-$platform"
    if (-not (Test-Path (Join-Path $cache $library))) {
        if (-not (Get-Command npm -ErrorAction SilentlyContinue)) {
            Fail "npm is needed once to fetch DuckDB's library (@duckdb/node-bindings-$platform); install Node.js with npm."
        }
        [Console]::Error.WriteLine("build.ps1: fetching DuckDB $DuckDbPackageVersion ($platform) from the npm registry, once")
        $scratch = Join-Path ([System.IO.Path]::GetTempPath()) ([System.Guid]::NewGuid())
        New-Item -ItemType Directory -Path $scratch | Out-Null
        try {
            Push-Location $scratch
            & npm pack --silent "@duckdb/node-bindings-$platform@$DuckDbPackageVersion" | Out-Null
            if ($LASTEXITCODE -ne 0) { Fail "npm pack @duckdb/node-bindings-$platform@$DuckDbPackageVersion failed (see above)." }
            $tarball = Get-ChildItem -Path $scratch -Filter *.tgz | Select-Object -First 1
            & tar -xzf $tarball.FullName -C $scratch "package/$library"
            if ($LASTEXITCODE -ne 0) { Fail "could not extract $library from $($tarball.Name)." }
            New-Item -ItemType Directory -Force -Path $cache | Out-Null
            Move-Item -Force (Join-Path $scratch "package/$library") (Join-Path $cache $library)
        }
        finally {
            Pop-Location
            Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
        }
    }
    New-Item -ItemType Directory -Force -Path (Join-Path $Root '.nuke/native') | Out-Null
    Copy-Item (Join-Path $cache $library) "$target.partial"
    Move-Item -Force "$target.partial" $target
}

$stampNow = Get-SourcesStamp
if (-not (Test-Path (Join-Path $Bin 'build.dll')) -or -not (Test-Path $Stamp) -or $stampNow -ne (Get-Content $Stamp -Raw).Trim()) {
    New-Item -ItemType Directory -Force -Path $Bin, (Join-Path $Root '.nuke/temp') | Out-Null
    $log = Join-Path $Root '.nuke/temp/bootstrap-build.log'
    & dotnet build (Join-Path $Root 'build/build.csproj') -c Release -o $Bin -nologo -clp:NoSummary *> $log
    if ($LASTEXITCODE -ne 0) {
        Get-Content $log | ForEach-Object { [Console]::Error.WriteLine($_) }
        [Console]::Error.WriteLine('build.ps1: compiling build/ failed (output above, also in .nuke/temp/bootstrap-build.log)')
        exit 1
    }
    Set-Content -Path $Stamp -Value $stampNow -NoNewline
}
Invoke-Build $args

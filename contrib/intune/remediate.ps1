# Intune Remediations (or any RMM) remediation script for fix401: runs
# `fix401 fix URL --json --yes` for every URL. Exit 0: every URL works again. Exit 1: still
# failing (the report says why; the help desk takes over). Exit 2/3: fix401 could not run.
# Run it with the logged-on user's credentials: the repair acts on that person's browsers and
# everything removed is backed up (`fix401 undo`).
$ErrorActionPreference = 'Stop'

# Edit: the same addresses as detect.ps1.
$Urls = @('https://intranet.example.com/')

$Fix401 = Join-Path $env:ProgramFiles 'fix401\fix401.exe'
if (-not (Test-Path -LiteralPath $Fix401)) { $Fix401 = (Get-Command fix401 -ErrorAction Stop).Source }

# fix401 writes errors to stderr; with 'Stop' Windows PowerShell would turn those lines into
# a terminating error instead of leaving the exit code to speak.
$ErrorActionPreference = 'Continue'
$worst = 0
$lines = @()
foreach ($url in $Urls) {
    $json = & $Fix401 fix $url --json --yes 2>$null | Out-String
    $rc = $LASTEXITCODE
    $verdict = try { ($json | ConvertFrom-Json).verdict } catch { 'no report' }
    $lines += "$url -> $rc ($verdict)"
    if ($rc -ge 2) { $worst = [Math]::Max($worst, $rc) }
    elseif ($rc -eq 1 -and $worst -eq 0) { $worst = 1 }
}
Write-Output ($lines -join '; ')
exit $worst

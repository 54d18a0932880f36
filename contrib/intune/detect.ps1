# Intune Remediations (or any RMM) detection script for fix401.
# Exit 0: every URL works (nothing to do). Exit 1: a URL still fails -> Intune runs
# remediate.ps1. Exit 2/3: fix401 could not check (bad input or configuration, internal
# error); passed on so the run shows as failed instead of "fixed".
# Run it with the logged-on user's credentials: fix401 checks that person's browsers.
$ErrorActionPreference = 'Stop'

# Edit: the addresses to check.
$Urls = @('https://intranet.example.com/')

$Fix401 = Join-Path $env:ProgramFiles 'fix401\fix401.exe'
if (-not (Test-Path -LiteralPath $Fix401)) { $Fix401 = (Get-Command fix401 -ErrorAction Stop).Source }

# fix401 writes errors to stderr; with 'Stop' Windows PowerShell would turn those lines into
# a terminating error instead of leaving the exit code to speak.
$ErrorActionPreference = 'Continue'
$worst = 0
$lines = @()
foreach ($url in $Urls) {
    $json = & $Fix401 diagnose $url --json 2>$null | Out-String
    $rc = $LASTEXITCODE
    $headline = try { ($json | ConvertFrom-Json).headline } catch { 'no report' }
    $lines += "$url -> $rc ($headline)"
    if ($rc -ge 2) { $worst = [Math]::Max($worst, $rc) }
    elseif ($rc -eq 1 -and $worst -eq 0) { $worst = 1 }
}
# Intune keeps the last line of output: one line for every URL.
Write-Output ($lines -join '; ')
exit $worst

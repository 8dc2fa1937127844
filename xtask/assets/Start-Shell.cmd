@echo off
rem AutoDBAudit Field Kit: opens a command prompt in this folder.
cd /d "%~dp0"
title AutoDBAudit
echo.
echo   AutoDBAudit Field Kit
echo   ---------------------
echo   AutoDBAudit selftest          checks this kit and this folder
echo   AutoDBAudit config validate   checks config\sql_targets.jsonc and config\audit_config.jsonc
echo   AutoDBAudit --help            lists every command
echo   The user guide is docs\user-guide.md
echo.
cmd /k

// Compiles build/installer.nsh with Debian's makensis (package `nsis`), the way electron-builder
// uses it: warnings as errors (-WX), our file included before MUI2.nsh, its macros inserted where
// electron-builder's templates insert them, once for the installer pass and once for the
// uninstaller pass (BUILD_UNINSTALLER). electron-builder's full script cannot be compiled here: it
// needs plugins (StdUtils, UAC, nsProcess) from a download, so the harness stands in for the
// `isUpdated` flag test with FileFunc (same command line flag, --updated).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The hooks build/installer.nsh defines, each of which electron-builder's templates must insert. */
function definedHooks(include) {
  return [...readFileSync(include, 'utf8').matchAll(/^\s*!macro\s+(\w+)/gm)].map((m) => m[1])
}

/** Every `!insertmacro NAME` in electron-builder's NSIS templates. */
function templateHooks() {
  const templates = join(dirname(createRequire(import.meta.url).resolve('app-builder-lib/package.json')), 'templates', 'nsis')
  const text = readdirSync(templates)
    .filter((f) => f.endsWith('.nsh') || f.endsWith('.nsi'))
    .map((f) => readFileSync(join(templates, f), 'utf8'))
    .join('\n')
  return new Set([...text.matchAll(/!insertmacro\s+(\w+)/g)].map((m) => m[1]))
}

function harness(include, outFile, uninstallerPass) {
  const hooks = uninstallerPass
    ? `!insertmacro customUnWelcomePage
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
Function un.onInit
  !insertmacro customUnInit
FunctionEnd
Section "Uninstall"
  !insertmacro customUnInstall
SectionEnd
Section
  WriteUninstaller "$TEMP\\cxr-lens-uninstall.exe"
SectionEnd`
    : `!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
Section
SectionEnd`
  return `Unicode true
${uninstallerPass ? '!define BUILD_UNINSTALLER' : ''}
!include "LogicLib.nsh"
!include "FileFunc.nsh"
; electron-builder defines each flag like this with StdUtils::TestParameter; FileFunc here.
!macro _isUpdated _a _b _t _f
  \${GetParameters} $R9
  ClearErrors
  \${GetOptions} $R9 "--updated" $R8
  IfErrors \`\${_f}\` \`\${_t}\`
!macroend
!define isUpdated \`"" isUpdated ""\`
Name "CXR Lens"
OutFile "${outFile}"
RequestExecutionLevel admin
!include "${include}"
!include "MUI2.nsh"
${hooks}
`
}

/** Returns { makensis, passes: [{pass, exe_bytes}] } and pushes what failed onto problems. */
export function checkNsisInclude(root, work, problems) {
  const include = join(root, 'build', 'installer.nsh')
  if (!existsSync(include)) {
    problems.push('build/installer.nsh missing (electron-builder.yml nsis.include)')
    return { makensis: 'not run' }
  }
  const inserted = templateHooks()
  for (const hook of definedHooks(include))
    if (!inserted.has(hook)) problems.push(`build/installer.nsh defines ${hook}, which electron-builder's NSIS templates never insert`)
  if (spawnSync('makensis', ['-VERSION']).error) {
    problems.push("makensis not found: install Debian's nsis package (apt-get install nsis) to compile build/installer.nsh")
    return { makensis: 'absent' }
  }
  const version = execFileSync('makensis', ['-VERSION']).toString().trim()
  const passes = []
  for (const [pass, uninstaller] of [
    ['installer', false],
    ['uninstaller', true],
  ]) {
    const script = join(work, `nsis-${pass}.nsi`)
    const outFile = join(work, `nsis-${pass}.exe`)
    writeFileSync(script, harness(include, outFile, uninstaller))
    const run = spawnSync('makensis', ['-WX', '-V2', '-INPUTCHARSET', 'UTF8', script], { encoding: 'utf8' })
    if (run.status !== 0 || !existsSync(outFile)) {
      problems.push(
        `makensis -WX failed on build/installer.nsh (${pass} pass): ${(run.stdout + run.stderr).trim().split('\n').slice(-6).join(' | ')}`,
      )
      continue
    }
    passes.push({ pass, exe_bytes: statSync(outFile).size })
  }
  return { makensis: version, passes }
}

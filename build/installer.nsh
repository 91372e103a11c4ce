; CXR Lens additions to electron-builder's NSIS installer (electron-builder.yml: nsis.include).
;
; Uninstalling keeps the data by default: the case database, derived images, backups, the
; re-identification file and the pseudonym key outlive the program, so a reinstall or an upgrade
; finds them. electron-builder's own deleteAppDataOnUninstall only removes the uninstalling user's
; roaming folder, which is not where a per-machine installation keeps its data. This file adds:
;   - an uninstaller page with an unticked box "Also delete CXR Lens data on this computer";
;   - the same for silent uninstalls: `Uninstall CXR Lens.exe /S --delete-app-data`
;     (electron-builder's flag, so one flag does both its part and ours);
;   - what is deleted then: everything under %ProgramData%\CXR Lens except IT's policy file
;     config.json, and the CXR Lens folders in every local profile on this computer
;     (AppData\Local and AppData\Roaming). Never during an upgrade (--updated).
; Not deleted: a data folder or pseudonym key the machine policy placed elsewhere (a share),
; and copies of roaming profiles on the profile server. docs/INSTALL.md (Uninstalling) says so.
;
; Everything here is compiled only into the uninstaller pass (BUILD_UNINSTALLER): with makensis -WX,
; as electron-builder runs it, an unreferenced un. function or variable in the installer pass fails
; the build. `npm run check:package` compiles this file with Debian's makensis in both passes.

!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "nsDialogs.nsh"

; The folder name under %ProgramData% and under each profile: the productName in package.json.
; LEAD: keep equal to the per-machine and per-user data folders src/main uses on Windows.
!define CXR_DIRNAME "CXR Lens"
; Electron also keeps caches under the package name.
!define CXR_PACKAGE_DIRNAME "cxr-lens"
!define CXR_POLICY_FILE "config.json"
!define CXR_PROFILE_LIST "SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList"

!ifdef BUILD_UNINSTALLER

Var cxrDeleteData      ; "1": delete the data folders after the program files
Var cxrDataCheckbox

!macro customUnInit
  StrCpy $cxrDeleteData "0"
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "--delete-app-data" $R1
  ${IfNot} ${Errors}
    StrCpy $cxrDeleteData "1"
  ${EndIf}
!macroend

; The page's functions are defined inside the macro on purpose: electron-builder includes this file
; before MUI2.nsh, and inserts this macro among its page declarations, after it.
!macro customUnWelcomePage
  !insertmacro MUI_UNPAGE_WELCOME
  UninstPage custom un.cxrDataPageShow un.cxrDataPageLeave

  Function un.cxrDataPageShow
    ; An upgrade runs the old uninstaller with --updated: nothing to ask, nothing to delete.
    ${If} ${isUpdated}
      Abort
    ${EndIf}
    !insertmacro MUI_HEADER_TEXT "CXR Lens data" "Keep or delete the data stored on this computer"
    nsDialogs::Create 1018
    Pop $0
    ${If} $0 == error
      Abort
    ${EndIf}
    ${NSD_CreateLabel} 0 0 100% 72u "The case database, derived images, backups, the re-identification file and the pseudonym key stay on this computer unless you tick the box below, so a reinstall finds them. Deleting them cannot be undone. A data folder or pseudonym key that the machine policy placed elsewhere (for example on a share) is never deleted, and neither is the policy file ${CXR_POLICY_FILE}."
    Pop $0
    ${NSD_CreateCheckbox} 0 80u 100% 12u "&Also delete CXR Lens data on this computer (all users)"
    Pop $cxrDataCheckbox
    ${If} $cxrDeleteData == "1"
      ${NSD_Check} $cxrDataCheckbox
    ${EndIf}
    nsDialogs::Show
  FunctionEnd

  Function un.cxrDataPageLeave
    ${NSD_GetState} $cxrDataCheckbox $0
    ${If} $0 == ${BST_CHECKED}
      StrCpy $cxrDeleteData "1"
    ${Else}
      StrCpy $cxrDeleteData "0"
    ${EndIf}
  FunctionEnd
!macroend

; Deletes what is inside $R0 except the policy file, then $R0 itself if that left it empty.
Function un.cxrDeleteMachineData
  ClearErrors
  FindFirst $R1 $R2 "$R0\*.*"
  ${DoUntil} ${Errors}
    ${If} $R2 != "."
    ${AndIf} $R2 != ".."
    ${AndIf} $R2 != "${CXR_POLICY_FILE}"
      ${If} ${FileExists} "$R0\$R2\*.*"
        RMDir /r "$R0\$R2"
      ${Else}
        Delete "$R0\$R2"
      ${EndIf}
    ${EndIf}
    ClearErrors
    FindNext $R1 $R2
  ${Loop}
  FindClose $R1
  RMDir "$R0"
FunctionEnd

Function un.cxrDeleteData
  ReadEnvStr $R0 "ProgramData"
  ${If} $R0 != ""
    StrCpy $R0 "$R0\${CXR_DIRNAME}"
    ${If} ${FileExists} "$R0\*.*"
      DetailPrint "Deleting CXR Lens data in $R0 (keeping ${CXR_POLICY_FILE})"
      Call un.cxrDeleteMachineData
    ${EndIf}
  ${EndIf}
  ; Every profile Windows knows on this computer (system profiles have no such folder).
  StrCpy $R3 0
  ${Do}
    EnumRegKey $R4 HKLM "${CXR_PROFILE_LIST}" $R3
    ${If} $R4 == ""
      ${Break}
    ${EndIf}
    IntOp $R3 $R3 + 1
    ReadRegStr $R5 HKLM "${CXR_PROFILE_LIST}\$R4" "ProfileImagePath"
    ${If} $R5 != ""
      ExpandEnvStrings $R5 $R5
      ${If} ${FileExists} "$R5\AppData\Local\${CXR_DIRNAME}\*.*"
        DetailPrint "Deleting $R5\AppData\Local\${CXR_DIRNAME}"
        RMDir /r "$R5\AppData\Local\${CXR_DIRNAME}"
      ${EndIf}
      ${If} ${FileExists} "$R5\AppData\Roaming\${CXR_DIRNAME}\*.*"
        DetailPrint "Deleting $R5\AppData\Roaming\${CXR_DIRNAME}"
        RMDir /r "$R5\AppData\Roaming\${CXR_DIRNAME}"
      ${EndIf}
      RMDir /r "$R5\AppData\Roaming\${CXR_PACKAGE_DIRNAME}"
    ${EndIf}
  ${Loop}
FunctionEnd

!macro customUnInstall
  ${IfNot} ${isUpdated}
    ${If} $cxrDeleteData == "1"
      Call un.cxrDeleteData
    ${EndIf}
  ${EndIf}
!macroend

!endif

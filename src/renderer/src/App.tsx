/** Workstation layout: app bar, worklist on the left, the open case on the right. */
import { useCallback, useEffect, useState } from 'react'
import { Alert, AppBar, Box, Button, CssBaseline, Paper, ThemeProvider, Toolbar, Typography } from '@mui/material'
import type { AppInfo } from '../../shared/domain'
import { errorMessage, useApi } from './apiContext'
import { ImportDialog } from './components/ImportDialog'
import { WorklistFilterBar } from './components/WorklistFilterBar'
import { WorklistTable } from './components/WorklistTable'
import { createAnalysisStore } from './stores/analysisStore'
import { createWorklistStore, useWorklistState } from './stores/worklistStore'
import { theme } from './theme'
import { CaseView } from './views/CaseView'

export function App() {
  const api = useApi()
  const [store] = useState(() => createWorklistStore(api))
  const [analysis] = useState(() => createAnalysisStore(api))
  const { openCaseId } = useWorklistState(store)
  const [appInfo, setAppInfo] = useState<AppInfo | null>(null)
  const [infoError, setInfoError] = useState<string | null>(null)
  const [importOpen, setImportOpen] = useState(false)

  useEffect(() => {
    api.app.info({}).then(setAppInfo, (error: unknown) => setInfoError(errorMessage(error)))
    void store.loadFindings()
  }, [api, store])

  const onImportFinished = useCallback(() => store.refresh(), [store])

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <Box sx={{ height: '100vh', display: 'flex', flexDirection: 'column', overflow: 'hidden' }}>
        <AppBar position="static" color="default" elevation={1}>
          <Toolbar variant="dense" sx={{ gap: 2 }}>
            <Typography variant="h6" component="h1">
              CXR Lens
            </Typography>
            <Button variant="contained" size="small" onClick={() => setImportOpen(true)} data-testid="open-import">
              Import
            </Button>
            <Box sx={{ flex: 1 }} />
            <Typography variant="caption" color="text.secondary" noWrap title={appInfo?.dataDir} data-testid="data-dir">
              {appInfo ? `Data: ${appInfo.dataDir} · v${appInfo.version} · ${appInfo.transport}` : ''}
            </Typography>
          </Toolbar>
        </AppBar>
        {infoError && <Alert severity="error">{infoError}</Alert>}
        <Box sx={{ flex: 1, display: 'flex', minHeight: 0 }}>
          <Paper square elevation={0} sx={{ width: 620, flexShrink: 0, display: 'flex', flexDirection: 'column', borderRight: 1, borderColor: 'divider' }}>
            <WorklistFilterBar store={store} />
            <WorklistTable store={store} />
          </Paper>
          <Box component="main" sx={{ flex: 1, display: 'flex', minWidth: 0 }}>
            {openCaseId === null ? (
              <Box sx={{ flex: 1, display: 'grid', placeItems: 'center' }}>
                <Typography color="text.secondary">Select a case in the worklist (↑/↓, Enter) to open it.</Typography>
              </Box>
            ) : (
              <CaseView key={openCaseId} caseId={openCaseId} analysis={analysis} />
            )}
          </Box>
        </Box>
      </Box>
      {importOpen && (
        <ImportDialog
          open
          nativeDialogs={appInfo?.nativeDialogs ?? false}
          onClose={() => setImportOpen(false)}
          onFinished={onImportFinished}
        />
      )}
    </ThemeProvider>
  )
}

/**
 * Workstation layout: app bar (import, reader, Cases/Dashboard), the reader picker banner, then
 * either the worklist with the open case or the validation dashboard. Stores live here so that
 * switching views keeps filters, choices and the open case.
 */
import { memo, useCallback, useEffect, useState, type ReactNode } from 'react'
import { Alert, AppBar, Box, Button, CssBaseline, Paper, Tab, Tabs, ThemeProvider, Toolbar, Typography } from '@mui/material'
import type { AppInfo } from '../../shared/domain'
import { errorMessage, useApi } from './apiContext'
import { AnalyseCasesDialog } from './components/AnalyseCasesDialog'
import { BackgroundChip } from './components/BackgroundChip'
import { BackupsDialog } from './components/BackupsDialog'
import { DatabaseRecovery } from './components/DatabaseRecovery'
import { EmptyWorklist } from './components/EmptyWorklist'
import { ImportDialog } from './components/ImportDialog'
import { ModelsDialog } from './components/ModelsDialog'
import { OperationsMenu } from './components/OperationsMenu'
import { PacsDialog } from './components/PacsDialog'
import { PaneToggleStrip } from './components/PaneToggleStrip'
import { ShortcutsActive } from './hooks/shortcutScope'
import { useHotkey } from './hooks/useHotkey'
import { useStoreSelector } from './hooks/useStoreSelector'
import { ReaderPicker, ROLE_LABELS } from './components/ReaderPicker'
import { WorklistFilterBar } from './components/WorklistFilterBar'
import { WorklistTable } from './components/WorklistTable'
import { createAnalysisStore } from './stores/analysisStore'
import { createBackgroundStore, type BackgroundStore } from './stores/backgroundStore'
import { createBackupStore } from './stores/backupStore'
import { createCaseImages } from './stores/caseImages'
import { createDetailRequest } from './stores/detailRequest'
import { createHeatmapEditStore } from './stores/heatmapEditStore'
import { createPaneLayoutStore, usePaneLayout, type PaneLayoutStore } from './stores/paneLayout'
import { createPanelGate } from './stores/panelGate'
import { canManageModels, createReaderStore, type ReaderStore } from './stores/readerStore'
import { createWorklistStore, type RowPatch } from './stores/worklistStore'
import { theme } from './theme'
import { beginOpen } from './canvas/openTrace'
import { CaseView, type CaseViewProps } from './views/CaseView'
import { DashboardView } from './views/DashboardView'

type View = 'cases' | 'dashboard'

interface TopBarProps {
  view: View
  onView: (view: View) => void
  onImport: () => void
  onPacs: () => void
  onBackups: () => void
  onAnalyse: () => void
  background: BackgroundStore
  onModels: () => void
  /** A damaged database answers nothing but recovery: importing is off. */
  damaged: boolean
  readers: ReaderStore
  appInfo: AppInfo | null
}

/** The app bar; memoized, so opening a case does not render it again. */
const TopBar = memo(function TopBar({
  view,
  onView,
  onImport,
  onPacs,
  onBackups,
  onAnalyse,
  onModels,
  background,
  damaged,
  readers,
  appInfo,
}: TopBarProps) {
  const reader = useStoreSelector(readers, (s) => s.current)
  const manager = canManageModels(reader)
  return (
    <AppBar position="static" color="default" elevation={1}>
      {/* Nothing in the bar wraps or shrinks but the data folder's path (ellipsised, in full in its tooltip). */}
      <Toolbar variant="dense" sx={{ gap: 2, '& > *': { flexShrink: 0, whiteSpace: 'nowrap' } }}>
        <Typography variant="h6" component="h1">
          CXR Lens
        </Typography>
        <Button variant="contained" size="small" onClick={onImport} disabled={damaged} data-testid="open-import">
          Import
        </Button>
        <Button
          size="small"
          onClick={onPacs}
          disabled={damaged}
          data-testid="open-pacs"
          title="Search the PACS and retrieve studies (DICOMweb)"
        >
          PACS
        </Button>
        <Button size="small" onClick={onAnalyse} disabled={damaged} data-testid="open-analyse">
          Analyse cases
        </Button>
        <Button size="small" onClick={onBackups} data-testid="open-backups-dialog">
          Backups
        </Button>
        <OperationsMenu appInfo={appInfo} />
        {!damaged && <BackgroundChip store={background} />}
        {manager && (
          <Button
            size="small"
            onClick={onModels}
            disabled={damaged}
            data-testid="open-models"
            title="Installed models and fine-tuning (clinical advisors and administrators)"
          >
            Models
          </Button>
        )}
        <Tabs value={view} onChange={(_e, v: View) => onView(v)} sx={{ minHeight: 36, '& .MuiTab-root': { minHeight: 36, py: 0 } }}>
          <Tab value="cases" label="Cases" data-testid="cases-tab" />
          <Tab value="dashboard" label="Dashboard" data-testid="dashboard-tab" />
        </Tabs>
        <Box sx={{ flex: 1 }} />
        <Button
          size="small"
          variant="outlined"
          onClick={() => readers.openPicker()}
          data-testid="current-reader"
          data-reader-id={reader?.id ?? ''}
          title="Switch reader"
        >
          {reader ? `${reader.name} · ${ROLE_LABELS[reader.role]}` : 'Choose reader'}
        </Button>
        <Typography
          variant="caption"
          color="text.secondary"
          noWrap
          title={appInfo?.dataDir}
          data-testid="data-dir"
          sx={{ flexShrink: '1 !important', minWidth: 0 }}
        >
          {appInfo ? `Data: ${appInfo.dataDir} · v${appInfo.version} · ${appInfo.transport}` : ''}
        </Typography>
      </Toolbar>
    </AppBar>
  )
})

type OpenCaseProps = Omit<CaseViewProps, 'caseId'> & { active: boolean }

/** Worklist width when shown: wide enough that names, chips and the model's top 3 are never cut at 1600 px. */
const WORKLIST_WIDTH = 660

/** The worklist pane, or the slim strip that brings it back (button or `w`). */
const WorklistPane = memo(function WorklistPane({ layout, children }: { layout: PaneLayoutStore; children: ReactNode }) {
  const { worklistOpen } = usePaneLayout(layout)
  return (
    <>
      <Paper
        square
        elevation={0}
        data-testid="worklist-pane"
        data-open={worklistOpen ? 'true' : 'false'}
        sx={{
          width: WORKLIST_WIDTH,
          flexShrink: 0,
          display: worklistOpen ? 'flex' : 'none',
          flexDirection: 'column',
          borderRight: 1,
          borderColor: 'divider',
          position: 'relative',
        }}
      >
        {children}
      </Paper>
      <PaneToggleStrip
        edge="left"
        open={worklistOpen}
        onToggle={layout.toggleWorklist}
        what="worklist"
        hotkey="w"
        testId="toggle-worklist"
      />
    </>
  )
})

/** The open case, or how to open one. Only this part renders when another case is opened. */
const OpenCase = memo(function OpenCase({ active, ...stores }: OpenCaseProps) {
  const openCaseId = useStoreSelector(stores.worklist, (s) => s.openCaseId)
  if (openCaseId === null) {
    return (
      <Box sx={{ flex: 1, display: 'grid', placeItems: 'center' }}>
        <Typography color="text.secondary">Select a case in the worklist (↑/↓, Enter) to open it.</Typography>
      </Box>
    )
  }
  return (
    // Hidden behind the Dashboard, the case view keeps its state but not its keys.
    <ShortcutsActive.Provider value={active}>
      <CaseView caseId={openCaseId} {...stores} />
    </ShortcutsActive.Provider>
  )
})

export function App() {
  const api = useApi()
  const [readers] = useState(() => createReaderStore(api))
  const [images] = useState(() => createCaseImages(api))
  const [details] = useState(() => createDetailRequest(api))
  const [layout] = useState(() => createPaneLayoutStore())
  const [panelGate] = useState(() => createPanelGate())
  // Loading starts as a case is opened, before React renders it; the reading panel waits for the canvas.
  const [store] = useState(() =>
    createWorklistStore(api, (caseId) => {
      beginOpen(caseId)
      panelGate.hold()
      details.start(caseId, readers.getState().current?.id ?? null)
      images.prefetch(caseId)
      analysis.openCase(caseId)
      // The background queue analyses the open case before any other.
      api.background.focus({ caseId }).catch(() => undefined)
    }),
  )
  const [background] = useState(() => createBackgroundStore(api))
  const [analyseOpen, setAnalyseOpen] = useState(false)
  // The map a case opens on follows the worklist filter and the case's boxes; the default model's
  // predictions, as they arrive, refresh that row's "Model top 3".
  const [analysis] = useState(() =>
    createAnalysisStore(api, {
      filterFinding: () => store.getState().filters.finding,
      boxFindings: (caseId) => details.boxFindings(caseId),
      boxFindingsAhead: async (caseId) =>
        (await api.cases.get({ caseId, readerId: readers.getState().current?.id ?? undefined })).boxList.map((b) => b.finding),
      // The row's "Model top 3" is the default model's: its first is where that model's map opens.
      knownTopFinding: (caseId, model) => (model.isDefault ? (store.rowOf(caseId)?.topFindings[0]?.finding ?? null) : null),
      onPredictions: (caseId, model, predictions) => {
        if (model.isDefault)
          store.patchRow(caseId, { topFindings: predictions.slice(0, 3).map(({ finding, probability }) => ({ finding, probability })) })
      },
    }),
  )
  const [heatmapEdit] = useState(() => createHeatmapEditStore(api))
  const reader = useStoreSelector(readers, (s) => s.current)
  const [view, setView] = useState<View>('cases')
  const [appInfo, setAppInfo] = useState<AppInfo | null>(null)
  const [infoError, setInfoError] = useState<string | null>(null)
  const [importOpen, setImportOpen] = useState(false)
  const [pacsOpen, setPacsOpen] = useState(false)
  const [backups] = useState(() => createBackupStore(api))
  const [backupsOpen, setBackupsOpen] = useState(false)
  const [modelsOpen, setModelsOpen] = useState(false)
  useHotkey('w', layout.toggleWorklist, view === 'cases')

  useEffect(() => {
    api.app.info({}).then(
      (info) => {
        setAppInfo(info)
        // A damaged database answers nothing else: the recovery screen takes over.
        if (info.database.state !== 'ok') return
        void store.loadFindings()
        void readers.load()
      },
      (error: unknown) => setInfoError(errorMessage(error)),
    )
  }, [api, store, readers])
  const damaged = appInfo?.database.state === 'damaged' ? appInfo.database : null

  // The editor follows the map the analysis shows, in the same update (not one render later).
  useEffect(() => {
    const follow = () => {
      const { heatmap, caseId } = analysis.getState()
      heatmapEdit.follow(heatmap && heatmap.caseId === caseId ? heatmap : null)
    }
    follow()
    return analysis.subscribe(follow)
  }, [analysis, heatmapEdit])

  // Results of the background queue as they land: the worklist's model top 3 in place, and the open
  // case's map when it was still waiting for one.
  // The worklist's rows are patched in the browser's idle time, not in the frame the message lands in:
  // while the queue runs, a batch lands every quarter second, and re-rendering the visible rows then
  // is what dropped pan frames (tests/e2e/responsiveness.test.mjs).
  useEffect(() => {
    const pending = new Map<number, RowPatch>()
    let idle: number | null = null
    const flush = () => {
      idle = null
      const patches = new Map(pending)
      pending.clear()
      store.patchRows(patches)
    }
    const off = api.on('background:results', (results) => {
      const models = analysis.getState().models
      const shown = models?.find((m) => m.isDefault) ?? models?.[0]
      if (shown && shown.id === results.model.id && shown.version === results.model.version) {
        for (const c of results.cases) pending.set(c.caseId, { topFindings: c.topFindings, ood: c.ood })
        idle ??= window.requestIdleCallback(flush, { timeout: 1000 })
      }
      const { caseId, heatmap, method } = analysis.getState()
      const current = analysis.currentModel()
      if (
        caseId !== null &&
        heatmap === null &&
        method === results.method &&
        current?.id === results.model.id &&
        current.version === results.model.version &&
        results.cases.some((c) => c.caseId === caseId)
      )
        void analysis.loadResults()
    })
    return () => {
      off()
      if (idle !== null) window.cancelIdleCallback(idle)
    }
  }, [api, analysis, store])

  // Row counts split into "mine / others" for whoever reads now.
  useEffect(() => store.setReader(reader?.id ?? null), [store, reader])

  const onImportFinished = useCallback(() => store.refresh(), [store])
  const openImport = useCallback(() => setImportOpen(true), [])
  const openPacs = useCallback(() => setPacsOpen(true), [])
  const openBackups = useCallback(() => setBackupsOpen(true), [])
  const openAnalyse = useCallback(() => setAnalyseOpen(true), [])
  const openModels = useCallback(() => setModelsOpen(true), [])
  // Model management closes when the reader who opened it is no longer one who may.
  const modelsShown = modelsOpen && canManageModels(reader)

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <Box sx={{ height: '100vh', display: 'flex', flexDirection: 'column', overflow: 'hidden' }}>
        <TopBar
          view={view}
          onView={setView}
          onImport={openImport}
          onPacs={openPacs}
          onBackups={openBackups}
          onAnalyse={openAnalyse}
          onModels={openModels}
          background={background}
          damaged={damaged !== null}
          readers={readers}
          appInfo={appInfo}
        />
        {infoError && <Alert severity="error">{infoError}</Alert>}
        {/* Plaintext patient identifiers in the data folder (an earlier version's table): said loudly, with the command that seals them. */}
        {appInfo?.reidentification?.warnings.map((warning) => (
          <Alert key={warning} severity="warning" data-testid="reid-warning">
            {warning}
          </Alert>
        ))}
        {damaged && appInfo && <DatabaseRecovery health={damaged} dataDir={appInfo.dataDir} store={backups} />}
        {!damaged && <ReaderPicker store={readers} />}
        {!damaged && view === 'dashboard' && <DashboardView readers={readers} />}
        {!damaged && (
          <Box sx={{ flex: 1, display: view === 'cases' ? 'flex' : 'none', minHeight: 0 }}>
            <WorklistPane layout={layout}>
              <WorklistFilterBar store={store} />
              <EmptyWorklist store={store} onImport={openImport} />
              <WorklistTable store={store} />
            </WorklistPane>
            <Box component="main" sx={{ flex: 1, display: 'flex', minWidth: 0 }}>
              <OpenCase
                active={view === 'cases' && !backupsOpen && !importOpen && !pacsOpen && !analyseOpen && !modelsShown}
                worklist={store}
                images={images}
                details={details}
                analysis={analysis}
                readers={readers}
                heatmapEdit={heatmapEdit}
                layout={layout}
                panelGate={panelGate}
              />
            </Box>
          </Box>
        )}
      </Box>
      {analyseOpen && <AnalyseCasesDialog worklist={store} onClose={() => setAnalyseOpen(false)} />}
      {modelsShown && <ModelsDialog store={analysis} onClose={() => setModelsOpen(false)} />}
      {backupsOpen && <BackupsDialog store={backups} onClose={() => setBackupsOpen(false)} />}
      {pacsOpen && (
        <PacsDialog administrator={reader?.administrator ?? false} onClose={() => setPacsOpen(false)} onFinished={onImportFinished} />
      )}
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

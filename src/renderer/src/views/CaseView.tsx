/**
 * One open case: fetches its record and image, decodes the image, and shows canvas + details, with
 * the model panel (run, probabilities, heatmap controls) in the side panel and the selected
 * finding's heatmap over the image.
 */
import { useCallback, useEffect, useMemo, useState } from 'react'
import { Alert, Box, CircularProgress, Divider, Typography } from '@mui/material'
import type { CaseDetail } from '../../../shared/domain'
import { errorMessage, useApi } from '../apiContext'
import { CaseCanvas } from '../components/CaseCanvas'
import { CaseDetailsPanel } from '../components/CaseDetailsPanel'
import { HeatmapControls } from '../components/HeatmapControls'
import type { HeatmapOverlay } from '../components/HeatmapImage'
import { ModelPanel } from '../components/ModelPanel'
import { PredictionList } from '../components/PredictionList'
import { useAnalysisState, type AnalysisStore } from '../stores/analysisStore'

interface Loaded {
  detail: CaseDetail
  bitmap: ImageBitmap
}

export function CaseView({ caseId, analysis }: { caseId: number; analysis: AnalysisStore }) {
  const api = useApi()
  const { heatmap: map, colormap, opacity, visible } = useAnalysisState(analysis)
  const overlay = useMemo<HeatmapOverlay | null>(
    () => (map && map.caseId === caseId ? { map, colormap, opacity, visible } : null),
    [map, caseId, colormap, opacity, visible],
  )

  useEffect(() => analysis.openCase(caseId), [analysis, caseId])

  const [loaded, setLoaded] = useState<Loaded | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [drawn, setDrawn] = useState(false)

  useEffect(() => {
    let cancelled = false
    let bitmap: ImageBitmap | null = null
    Promise.all([api.cases.get({ caseId }), api.cases.image({ caseId })])
      .then(async ([detail, image]) => {
        const decoded = await createImageBitmap(new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mime }))
        if (cancelled) return decoded.close()
        bitmap = decoded
        setLoaded({ detail, bitmap: decoded })
      })
      .catch((reason: unknown) => {
        if (!cancelled) setError(errorMessage(reason))
      })
    return () => {
      cancelled = true
      bitmap?.close()
    }
  }, [api, caseId])

  const onDrawn = useCallback(() => setDrawn(true), [])

  return (
    <Box
      data-testid="case-view"
      data-case-id={caseId}
      data-image={loaded?.detail.image}
      data-loaded={drawn ? 'true' : 'false'}
      sx={{ display: 'flex', flex: 1, minWidth: 0, minHeight: 0 }}
    >
      {error && (
        <Alert severity="error" sx={{ m: 2, alignSelf: 'flex-start' }}>
          {error}
        </Alert>
      )}
      {!error && !loaded && (
        <Box sx={{ flex: 1, display: 'grid', placeItems: 'center' }}>
          <CircularProgress />
        </Box>
      )}
      {loaded && (
        <>
          <CaseCanvas bitmap={loaded.bitmap} boxes={loaded.detail.boxList} heatmap={overlay} onDrawn={onDrawn} />
          <CaseDetailsPanel detail={loaded.detail}>
            <Typography variant="subtitle2" gutterBottom>
              Model
            </Typography>
            <ModelPanel store={analysis} />
            <Box sx={{ mt: 1 }}>
              <PredictionList store={analysis} />
            </Box>
            <Divider sx={{ my: 1 }} />
            <HeatmapControls store={analysis} />
          </CaseDetailsPanel>
        </>
      )}
    </Box>
  )
}

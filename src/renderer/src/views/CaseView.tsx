/** One open case: fetches its record and image, decodes the image, and shows canvas + details. */
import { useCallback, useEffect, useState } from 'react'
import { Alert, Box, CircularProgress } from '@mui/material'
import type { CaseDetail } from '../../../shared/domain'
import { errorMessage, useApi } from '../apiContext'
import { CaseCanvas } from '../components/CaseCanvas'
import { CaseDetailsPanel } from '../components/CaseDetailsPanel'

interface Loaded {
  detail: CaseDetail
  bitmap: ImageBitmap
}

export function CaseView({ caseId }: { caseId: number }) {
  const api = useApi()
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
          <CaseCanvas bitmap={loaded.bitmap} boxes={loaded.detail.boxList} onDrawn={onDrawn} />
          <CaseDetailsPanel detail={loaded.detail} />
        </>
      )}
    </Box>
  )
}

/**
 * Review navigation of the case view: previous/next case without the worklist, mark reviewed, and
 * set a reviewed case back in review (both attributed to the reader and audited by the server).
 */
import { memo } from 'react'
import { Button, Stack } from '@mui/material'
import type { CaseStatus } from '../../../shared/domain'

export interface ReviewBarProps {
  status: CaseStatus
  /** False until the case's record has loaded: no status change before its status is known. */
  ready: boolean
  onPrevious: () => void
  onNext: () => void
  onReviewed: () => void
  onReopen: () => void
}

export const ReviewBar = memo(function ReviewBar({ status, ready, onPrevious, onNext, onReviewed, onReopen }: ReviewBarProps) {
  const reviewed = status === 'reviewed'
  return (
    <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
      <Button size="small" variant="outlined" onClick={onPrevious} data-testid="prev-case" title="Previous case (p, PageUp)">
        ‹ Prev
      </Button>
      <Button size="small" variant="outlined" onClick={onNext} data-testid="next-case" title="Next case (n, PageDown)">
        Next ›
      </Button>
      {reviewed ? (
        <Button
          size="small"
          variant="outlined"
          color="warning"
          disabled={!ready}
          onClick={onReopen}
          data-testid="reopen-review"
          title="Set back in review (u)"
        >
          Reopen review
        </Button>
      ) : (
        <Button
          size="small"
          variant="contained"
          color="success"
          disabled={!ready}
          onClick={onReviewed}
          data-testid="mark-reviewed"
          title="Mark reviewed (r)"
        >
          Mark reviewed
        </Button>
      )}
    </Stack>
  )
})

/**
 * The reading panel beside the image: a fixed header (the case, its review actions, which map is
 * shown and why) and four sections — findings, heatmap, boxes and IoU, window — one open at a
 * time, so the panel fits a 1000 px window without scrolling. The whole panel folds to a slim
 * strip (its button, or `s`); the open section and the fold are remembered (paneLayout).
 */
import { memo, type ReactNode } from 'react'
import { Accordion, AccordionDetails, AccordionSummary, Box, Typography } from '@mui/material'
import { PaneToggleStrip } from './PaneToggleStrip'
import { useHotkey } from '../hooks/useHotkey'
import { PANEL_SECTIONS, SECTION_TITLES, usePaneLayout, type PaneLayoutStore, type PanelSection } from '../stores/paneLayout'

export const PANEL_WIDTH = 340

export interface PanelSectionContent {
  /** One line shown in the section's header, open or not ("Cardiomegaly 63%"). */
  summary: ReactNode
  body: ReactNode
}

const NO_TRANSITION = { timeout: 0 }

export const ReadingPanel = memo(function ReadingPanel({
  layout,
  header,
  sections,
}: {
  layout: PaneLayoutStore
  header: ReactNode
  sections: Record<PanelSection, PanelSectionContent>
}) {
  const { panelOpen, section } = usePaneLayout(layout)
  useHotkey('s', layout.togglePanel)
  return (
    <>
      <PaneToggleStrip edge="right" open={panelOpen} onToggle={layout.togglePanel} what="side panel" hotkey="s" testId="toggle-panel" />
      <Box
        data-testid="reading-panel"
        data-open={panelOpen ? 'true' : 'false'}
        sx={{ width: PANEL_WIDTH, flexShrink: 0, display: panelOpen ? 'flex' : 'none', flexDirection: 'column', minHeight: 0 }}
      >
        <Box sx={{ px: 1.5, pt: 1, pb: 0.5, borderBottom: 1, borderColor: 'divider' }}>{header}</Box>
        <Box data-testid="panel-sections" sx={{ flex: 1, minHeight: 0, overflowY: 'auto' }}>
          {PANEL_SECTIONS.map((key) => (
            <Accordion
              key={key}
              disableGutters
              square
              elevation={0}
              expanded={section === key}
              onChange={() => layout.openSection(key, true)}
              data-testid={`panel-section-${key}`}
              data-expanded={section === key ? 'true' : 'false'}
              slotProps={{ transition: NO_TRANSITION }}
              sx={{ borderBottom: 1, borderColor: 'divider', '&::before': { display: 'none' } }}
            >
              <AccordionSummary
                expandIcon={
                  <Typography variant="caption" aria-hidden>
                    ▾
                  </Typography>
                }
                data-testid={`panel-section-${key}-summary`}
                sx={{ minHeight: 36, px: 1.5, '& .MuiAccordionSummary-content': { my: 0.5, gap: 1, alignItems: 'baseline', minWidth: 0 } }}
              >
                <Typography variant="subtitle2" sx={{ flexShrink: 0 }}>
                  {SECTION_TITLES[key]}
                </Typography>
                <Typography variant="caption" color="text.secondary" noWrap component="div" sx={{ minWidth: 0 }}>
                  {sections[key].summary}
                </Typography>
              </AccordionSummary>
              <AccordionDetails sx={{ px: 1.5, pt: 0, pb: 1.5 }}>{sections[key].body}</AccordionDetails>
            </Accordion>
          ))}
        </Box>
      </Box>
    </>
  )
})

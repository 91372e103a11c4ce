/** The viewer uses the same colour maps as the exported overlays (one implementation in shared/). */
export { COLORMAP_LABELS, COLORMAP_NAMES, colormapLut, isColormapName, type ColormapName } from '../../../shared/colormaps'

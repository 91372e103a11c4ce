/** Dark theme: reading rooms are dim, and grey-scale images read best against near-black chrome. */
import { createTheme } from '@mui/material/styles'

export const theme = createTheme({
  palette: {
    mode: 'dark',
    primary: { main: '#64b5f6' },
    background: { default: '#0b0d10', paper: '#15181d' },
  },
  typography: { fontSize: 13 },
  components: {
    MuiChip: { defaultProps: { size: 'small' } },
  },
})

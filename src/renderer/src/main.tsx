/** Renderer entry: connect to main (preload or browser-mode socket), then mount the app. */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { ApiProvider, errorMessage } from './apiContext'
import { App } from './App'
import { getApi } from './transport/getApi'

const container = document.getElementById('root')
if (!container) throw new Error('index.html has no #root element')
const root = createRoot(container)

getApi().then(
  (api) =>
    root.render(
      <StrictMode>
        <ApiProvider api={api}>
          <App />
        </ApiProvider>
      </StrictMode>,
    ),
  (error: unknown) =>
    root.render(
      <div role="alert" style={{ fontFamily: 'sans-serif', padding: 24, color: '#b00020' }}>
        <h1 style={{ fontSize: 18 }}>CXR Lens cannot start</h1>
        <p>{errorMessage(error)}</p>
      </div>,
    ),
)

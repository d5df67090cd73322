/** The dashboard page's entry: its styles, and the app mounted on #app. */
import { render } from 'preact';
import { App } from './app.jsx';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}

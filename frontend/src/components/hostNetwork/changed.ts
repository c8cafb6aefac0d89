import { useDesignStore } from '../../store/designStore';

/** After a write the designer's store does not see (firewall, routes): views that derive from the design refresh. */
export function designChanged(): void {
  useDesignStore.setState((s) => ({ revision: s.revision + 1 }));
  void useDesignStore.getState().refreshValidation();
}
